/**
 * How fast a job goes, as the job card and the jobs strip both say it: the same words for the
 * same job everywhere. Pure.
 *
 * @module
 */
import type { Job } from "../server/jobs/model.ts";
import { formatDuration, formatRate } from "./format.ts";

/** A job's pace in words; null for a part that does not apply (nothing shown). */
export interface JobPace {
  /** `rate 1.5 MiB/s`, `rate —` (not known yet), or `in sync` for a ready mirror. */
  rate: string | null;
  /** `ETA 42s` or `ETA —` while running; null once ready or ended. */
  eta: string | null;
}

/**
 * A running job's rate and ETA (`—` until the sampler has seen progress); a ready mirror is
 * `in sync` with no ETA (its cur and end only follow the guest's writes); an ended job none. Pure.
 */
export function jobPace(job: Pick<Job, "phase" | "rateBytesPerSecond" | "etaSeconds">): JobPace {
  if (job.phase === "ready") return { rate: "in sync", eta: null };
  if (job.phase !== "running") return { rate: null, eta: null };
  return {
    rate: `rate ${formatRate(job.rateBytesPerSecond)}`,
    eta: `ETA ${formatDuration(job.etaSeconds)}`,
  };
}
