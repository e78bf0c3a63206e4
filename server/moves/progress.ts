/**
 * A move's overall numbers from its layers: bytes total and done, and the rate and ETA over a
 * sliding window of samples. Pure apart from the window's own memory.
 *
 * @module
 */
import type { Move } from "./model.ts";

/** Sum of the layers' bytes and doneBytes. Pure. */
export function moveTotals(move: Pick<Move, "disks">): { bytesTotal: number; bytesDone: number } {
  let bytesTotal = 0;
  let bytesDone = 0;
  for (const disk of move.disks) {
    for (const layer of disk.layers) {
      bytesTotal += layer.bytes;
      bytesDone += Math.min(layer.doneBytes, layer.bytes);
    }
  }
  return { bytesTotal, bytesDone };
}

/** Rate (bytes/s) over the last `windowMs` of (time, bytesDone) samples. */
export class RateWindow {
  readonly #samples: { at: number; done: number }[] = [];
  readonly #windowMs: number;

  constructor(windowMs = 10_000) {
    this.#windowMs = windowMs;
  }

  /** Records a sample and returns the rate and the ETA for `remaining` bytes. */
  sample(at: number, done: number, remaining: number): {
    rateBytesPerSecond: number;
    etaSeconds: number | null;
  } {
    this.#samples.push({ at, done });
    while (this.#samples.length > 2 && at - this.#samples[0].at > this.#windowMs) {
      this.#samples.shift();
    }
    const first = this.#samples[0];
    const seconds = (at - first.at) / 1000;
    const rate = seconds > 0 ? Math.max(0, (done - first.done) / seconds) : 0;
    return {
      rateBytesPerSecond: Math.round(rate),
      etaSeconds: remaining <= 0 ? 0 : rate > 0 ? Math.ceil(remaining / rate) : null,
    };
  }
}

/**
 * How often one move tells its listeners about mere progress: at most once per `intervalMs`
 * (a `qemu-img convert -p` prints a tick for every percent of a layer, and a mirror is polled
 * twice a second). A change of state always passes and starts a new window.
 */
export class ProgressThrottle {
  readonly #intervalMs: number;
  readonly #clock: () => number;
  #last: number | null = null;

  /** `clock` in milliseconds (injectable for tests). */
  constructor(intervalMs = 250, clock: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** True when a notification may go out now: always for a change, for a tick once per window. */
  pass(tick: boolean): boolean {
    const now = this.#clock();
    if (tick && this.#last !== null && now - this.#last < this.#intervalMs) return false;
    this.#last = now;
    return true;
  }
}
