/**
 * Sliding-window progress statistics: rate, ETA and whether a mirror converges. Pure.
 *
 * @module
 */

/** One progress sample. */
export interface Sample {
  /** Milliseconds (any monotonic-enough clock). */
  t: number;
  cur: number;
  end: number;
}

/** Statistics derived from a window of samples. */
export interface WindowStats {
  rateBytesPerSecond: number | null;
  etaSeconds: number | null;
  converging: boolean | null;
}

/**
 * Appends `sample` to `samples`, dropping samples older than `windowMs` (but keeping at least the
 * previous one so a rate is always computable), and restarting the window when cur goes
 * backwards (a new job). A throttled mirror moves in bursts (QEMU copies a whole chunk, then
 * waits): the first sample is kept until cur first grows, and while the current plateau is no
 * longer than the step before it, the sample where that step began is kept too, so the rate
 * spans whole steps. Returns the new array. Pure.
 */
export function pushSample(samples: readonly Sample[], sample: Sample, windowMs: number): Sample[] {
  const last = samples[samples.length - 1];
  if (last && (sample.cur < last.cur || sample.t < last.t)) return [sample];
  const all = [...samples, sample];
  const cutoff = sample.t - windowMs;
  let first = 0;
  while (first < all.length - 2 && all[first].t < cutoff) first++;
  const latest = lastStep(all, all.length);
  // No step yet: the first look is where the first step will be measured from.
  if (latest < 0) return first > 0 ? [all[0], ...all.slice(first)] : all;
  const before = Math.max(0, lastStep(all, latest));
  if (sample.t - all[latest].t <= all[latest].t - all[before].t) first = Math.min(first, before);
  return all.slice(first);
}

/** Index of the last sample before `end` whose cur grew over its predecessor's; -1 if none. */
function lastStep(samples: readonly Sample[], end: number): number {
  for (let i = end - 1; i >= 1; i--) if (samples[i].cur > samples[i - 1].cur) return i;
  return -1;
}

/** Minimum span of the window, in ms, before a rate is reported. */
const MIN_SPAN_MS = 500;
/** Minimum span before a convergence verdict. */
const MIN_CONVERGENCE_SPAN_MS = 3000;

/**
 * True when `next` shows progress over `prev` in the same job (cur grew). A job's rate means
 * something only from the first such pair on: a throttled copy's first samples all read the
 * chunk QEMU copied before the first look, and "0 B/s" there is false. Pure.
 */
export function progressed(prev: Sample | undefined, next: Sample): boolean {
  return prev !== undefined && next.t > prev.t && next.cur > prev.cur;
}

/**
 * Rate over the window, ETA at that rate, and (for mirrors) convergence: false when the
 * remainder (end - cur) did not shrink while end grew, true when it shrank or is zero. No rate
 * or ETA until the job has `moved` (two of its samples showed progress, see {@link progressed}):
 * unknown is null, never 0. Pure.
 */
export function windowStats(
  samples: readonly Sample[],
  mirror: boolean,
  moved: boolean,
): WindowStats {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.t - first.t < MIN_SPAN_MS) {
    return { rateBytesPerSecond: null, etaSeconds: null, converging: null };
  }
  // Between bursts the rate of whole steps holds, until the plateau outlasts them (slowing).
  const step = samples[lastStep(samples, samples.length)];
  const until = step && step.t > first.t && last.t - step.t <= step.t - first.t ? step : last;
  const rate = Math.max(0, (until.cur - first.cur) / ((until.t - first.t) / 1000));
  const remaining = Math.max(0, last.end - last.cur);
  const eta = remaining === 0 ? 0 : rate > 0 ? Math.ceil(remaining / rate) : null;
  let converging: boolean | null = null;
  if (mirror && last.t - first.t >= MIN_CONVERGENCE_SPAN_MS) {
    const remainingBefore = first.end - first.cur;
    if (remaining === 0 || remaining < remainingBefore) converging = true;
    else if (last.end > first.end && last.cur > first.cur) converging = false;
  }
  if (!moved) return { rateBytesPerSecond: null, etaSeconds: null, converging };
  return { rateBytesPerSecond: Math.round(rate), etaSeconds: eta, converging };
}
