/**
 * Parser of `virsh domjobinfo --rawstats`: the domain's running job (a migration, here) as exact
 * numbers. The human form rounds to three decimals of MiB and names its fields differently
 * (`File processed` for the disk part); the raw form prints libvirt's typed parameters as
 * `name: value`, bytes as bytes.
 *
 * @module
 */

/** libvirt's `virDomainJobType` as virsh 9.0 prints it in the raw form (`Job type: 2`). */
export type DomJobType = "none" | "bounded" | "unbounded" | "completed" | "failed" | "cancelled";

const JOB_TYPES: readonly DomJobType[] = [
  "none",
  "bounded",
  "unbounded",
  "completed",
  "failed",
  "cancelled",
];

/** `operation` values of `virDomainJobOperation` that concern migrations. */
export const JOB_OPERATION = { migrationIn: 4, migrationOut: 5 } as const;

/** A domain job as `domjobinfo --rawstats` reports it; byte counts in bytes, times in ms. */
export interface DomJobInfo {
  type: DomJobType;
  /** `virDomainJobOperation` (5 = outgoing migration), null when not printed. */
  operation: number | null;
  timeElapsedMs: number | null;
  /** Memory plus disks. */
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  memoryTotal: number;
  memoryProcessed: number;
  memoryRemaining: number;
  /** Pages per second the guest dirties (0 until QEMU measured it). */
  memoryDirtyRate: number;
  memoryPageSize: number | null;
  /** Pre-copy iteration of the memory (0 while disks are copied). */
  memoryIteration: number;
  diskTotal: number;
  diskProcessed: number;
  diskRemaining: number;
  /** Every `name: value` line as printed, for what the typed fields do not name. */
  raw: Readonly<Record<string, string>>;
}

/**
 * Parses `virsh domjobinfo --rawstats` output. Returns null when no job runs (`Job type: 0`).
 * Pure; throws on output without a numeric `Job type:` line (not domjobinfo's raw form).
 */
export function parseDomJobInfoRaw(stdout: string): DomJobInfo | null {
  const raw: Record<string, string> = {};
  let type: DomJobType | undefined;
  for (const line of stdout.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === "Job type") {
      // The human form says `Unbounded`: refuse it rather than read it as "no job".
      const known = /^\d+$/.test(value) ? JOB_TYPES[Number(value)] : undefined;
      if (known === undefined) {
        throw new Error(`not domjobinfo --rawstats output: job type ${JSON.stringify(value)}`);
      }
      type = known;
      continue;
    }
    raw[key] = value;
  }
  if (type === undefined) {
    throw new Error(`not domjobinfo --rawstats output: ${JSON.stringify(stdout.slice(0, 80))}`);
  }
  if (type === "none") return null;
  const num = (key: string): number | null => {
    const v = raw[key];
    if (v === undefined || !/^\d+$/.test(v)) return null;
    return Number(v);
  };
  const zero = (key: string) => num(key) ?? 0;
  return {
    type,
    operation: num("operation"),
    timeElapsedMs: num("time_elapsed"),
    dataTotal: zero("data_total"),
    dataProcessed: zero("data_processed"),
    dataRemaining: zero("data_remaining"),
    memoryTotal: zero("memory_total"),
    memoryProcessed: zero("memory_processed"),
    memoryRemaining: zero("memory_remaining"),
    memoryDirtyRate: zero("memory_dirty_rate"),
    memoryPageSize: num("memory_page_size"),
    memoryIteration: zero("memory_iteration"),
    diskTotal: zero("disk_total"),
    diskProcessed: zero("disk_processed"),
    diskRemaining: zero("disk_remaining"),
    raw,
  };
}

/**
 * Which part of a storage migration the numbers show: `starting` before QEMU reported any total,
 * `disks` while the mirror copies them (libvirt 9.0 reports no memory figures then), `memory`
 * once the memory pre-copy runs (memory_total > 0). Pure.
 */
export function migrationStage(info: DomJobInfo): "starting" | "disks" | "memory" {
  if (info.memoryTotal > 0) return "memory";
  if (info.dataTotal > 0 || info.diskTotal > 0) return "disks";
  return "starting";
}
