/**
 * Small domains and jobs for the dashboard's unit tests (filter, views), built in memory.
 *
 * @module
 */
import type { Disk, Domain, DomainState } from "../../server/inventory/model.ts";
import type { Job, JobPhase } from "../../server/jobs/model.ts";

/** A job on `domain`'s disk `target`. */
export function jobOn(
  domain: string,
  target: string,
  phase: JobPhase = "running",
  percent = 40,
): Job {
  return {
    type: "copy",
    phase,
    cur: percent,
    end: 100,
    percent,
    bandwidthBytes: 1048576,
    rateBytesPerSecond: null,
    etaSeconds: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    domain,
    uuid: `uuid-${domain}`,
    target,
    elapsedSeconds: 1,
    finishedAt: null,
    readyAt: null,
    converging: null,
    adopted: false,
    outcome: null,
    updatedAt: "2026-01-01T00:00:01.000Z",
  };
}

/** A disk with `layers` qcow2 layers. */
export function diskOf(target: string, layers = 1, job: Job | null = null): Disk {
  const chain = Array.from({ length: layers }, (_, i) => ({
    index: i + 1,
    path: `/img/${target}-${i}.qcow2`,
    format: "qcow2",
    capacity: null,
    allocation: null,
  }));
  return {
    target,
    device: "disk",
    type: "file",
    format: "qcow2",
    source: chain[0].path,
    chain,
    mirror: null,
    warnings: [],
    job,
  };
}

/** A domain named `name`. */
export function domainOf(name: string, state: DomainState = "running", disks?: Disk[]): Domain {
  return { name, uuid: `uuid-${name}`, state, persistent: true, disks: disks ?? [diskOf("vda")] };
}
