/**
 * The sentence a copy into a new volume ends with when blockboard deleted the volume again (the
 * copy ended before it was ever ready): the job's own sentence would call the copy "incomplete
 * and not usable", about a file that is no longer there. Pure.
 *
 * @module
 */
import type { Job } from "../jobs/model.ts";

/** What became of the volume blockboard created for the copy. */
export interface VolumeRemoval {
  pool: string;
  volume: string;
  /** Why `vol-delete` failed (virsh's own words), or null when the volume was deleted. */
  error: string | null;
}

/** How each ending reads before the part about the volume. */
const HEADS: Record<string, string> = {
  canceled: "canceled before the copy was synchronized: ",
  failed: "failed: libvirt reported the job as failed; ",
  interrupted: "interrupted: the domain stopped while the job ran; ",
};

/**
 * The outcome of a copy into volume `removal.pool`/`removal.volume` that ended (canceled, failed
 * or interrupted) before it was ready, after blockboard tried to delete the volume; null for any
 * other ending (the volume was kept, the job's own sentence stands). Pure.
 */
export function volumeRemovalOutcome(
  job: Pick<Job, "phase" | "source" | "dest">,
  removal: VolumeRemoval,
): string | null {
  const head = HEADS[job.phase];
  if (head === undefined) return null;
  const name = `${removal.pool}/${removal.volume}`;
  const stays = `the domain stays on ${job.source ?? "its previous image"}`;
  const log = job.phase === "failed" ? ". See the domain's QEMU log (/var/log/libvirt/qemu/)" : "";
  if (removal.error === null) {
    return `${head}blockboard deleted the volume ${name} it had created for the copy; ${stays}${log}`;
  }
  return `${head}the volume ${name}${
    job.dest ? ` (${job.dest})` : ""
  } is incomplete and not usable, and blockboard could not delete it: ${removal.error}; delete it with virsh vol-delete --pool ${removal.pool} --vol ${removal.volume}; ${stays}${log}`;
}
