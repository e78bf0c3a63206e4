/**
 * Whether a job may start on a disk: one rule for the form (which hides its Start buttons), the
 * API and the operations. libvirt runs block jobs on any domain QEMU is running, paused or not,
 * so the rule accepts `running`, `paused` and `blocked` (virsh `domstate` prints `idle` for
 * blocked); a domain shutting down, shut off, crashed or suspended to memory has no job to
 * start. Pure.
 *
 * @module
 */

/** States (inventory names and virsh `domstate` words) in which a block job can run. */
const JOB_STATES: ReadonlySet<string> = new Set(["running", "paused", "blocked", "idle"]);

/** True when a domain in `state` can run block jobs. Pure. */
export function jobsPossibleIn(state: string): boolean {
  return JOB_STATES.has(state);
}

/** Why a job cannot start, by kind: the API answers 409 for a state, 400 for the disk. */
export interface StartRefusal {
  kind: "not-running" | "no-media" | "disk-warning" | "disk-type";
  /** A sentence for the operator. */
  message: string;
}

/** What {@link canStartJob} reads of the domain. */
export interface StartDomain {
  name: string;
  state: string;
}

/** What {@link canStartJob} reads of the disk (inventory `Disk` or the XML's disk). */
export interface StartDisk {
  type: string;
  chain: readonly unknown[];
  /** Inventory warnings (probe hazards); jobs wait until they are resolved. */
  warnings?: readonly string[];
}

/** Why no job can start on the disk, or null when one can. Pure. */
export function canStartJob(domain: StartDomain, disk: StartDisk): StartRefusal | null {
  if (!jobsPossibleIn(domain.state)) {
    return {
      kind: "not-running",
      message: `Block jobs need a running domain; ${domain.name} is ${domain.state}.`,
    };
  }
  if (disk.chain.length === 0) return { kind: "no-media", message: "This drive has no media." };
  if (disk.warnings?.length) {
    return {
      kind: "disk-warning",
      message: "Jobs are disabled on this disk until the warning above is resolved.",
    };
  }
  if (disk.type !== "file" && disk.type !== "block") {
    return {
      kind: "disk-type",
      message: `blockboard runs jobs on file and block disks; this one is ${disk.type}.`,
    };
  }
  return null;
}
