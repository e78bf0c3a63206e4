/**
 * "Not converging": a copy whose remaining bytes (end - cur) keep growing never becomes ready,
 * because the guest dirties the disk faster than the job copies it. The detector is a pure
 * fold over progress samples with their times, so it is tested with a fake clock.
 *
 * The rule: the remainder has not gone below the level it had {@link NOT_CONVERGING_AFTER_MS}
 * ago, and is above it now. A streak starts at every new low of the remainder; a job that keeps
 * making progress, even in bursts, keeps restarting it.
 *
 * @module
 */
import type { Sample } from "./rate.ts";

/** How long the remainder must grow before a copy is reported as not converging. */
export const NOT_CONVERGING_AFTER_MS = 30_000;

/** The lowest remainder of the current streak and when the streak started. */
export interface ConvergenceWatch {
  /** Time (ms) of the sample with the lowest remainder so far. */
  since: number;
  /** That remainder, in bytes. */
  floor: number;
}

/** The remainder of a sample (never negative). Pure. */
function remainingOf(s: Sample): number {
  return Math.max(0, s.end - s.cur);
}

/**
 * The watch after `sample`: a new streak at a new low of the remainder (or when time went
 * backwards, or with no watch yet), the same streak otherwise. Pure.
 */
export function watchConvergence(watch: ConvergenceWatch | null, sample: Sample): ConvergenceWatch {
  const remaining = remainingOf(sample);
  if (watch === null || remaining < watch.floor || sample.t < watch.since) {
    return { since: sample.t, floor: remaining };
  }
  return watch;
}

/** What the verdict sentence mentions about the job. */
export interface ConvergenceFacts {
  /** The job's bandwidth limit, bytes/s (0: none). */
  bandwidthBytes: number;
  /** The copy already runs with `--synchronous-writes`. */
  synchronousWrites: boolean;
}

/**
 * A sentence when the remainder has grown for at least `afterMs` (see the module doc), else
 * null. `watch` must already include `sample`. Pure.
 */
export function notConvergingVerdict(
  watch: ConvergenceWatch,
  sample: Sample,
  facts: ConvergenceFacts,
  afterMs: number = NOT_CONVERGING_AFTER_MS,
): string | null {
  const remaining = remainingOf(sample);
  const span = sample.t - watch.since;
  if (span < afterMs || remaining <= watch.floor) return null;
  const grew = `the remaining bytes grew from ${mib(watch.floor)} to ${mib(remaining)} over ${
    Math.round(span / 1000)
  } s`;
  const limit = facts.bandwidthBytes > 0
    ? `raise or remove the bandwidth limit (now ${mib(facts.bandwidthBytes)}/s)`
    : "the bandwidth is not limited, so the destination is slower than the guest's writes";
  if (facts.synchronousWrites) {
    return `not converging: ${grew} even with synchronous writes; ${limit}.`;
  }
  return `not converging: ${grew}, because the guest writes faster than the job copies, so the copy would never become ready. Start the copy again with synchronous writes (--synchronous-writes: guest writes reach both images before they complete, so it converges), or ${
    facts.bandwidthBytes > 0 ? limit : "reduce the guest's writes (the bandwidth is not limited)"
  }.`;
}

/** Bytes as MiB with one decimal. Pure. */
function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
