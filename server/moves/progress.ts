/**
 * A move's numbers, one definition for the plan's Review and the running card: what each layer
 * counts, the totals, and the rate and ETA from bytes over time (the job book's window, see
 * server/jobs/rate.ts). Pure apart from the rate's own memory.
 *
 * @module
 */
import type { ImageFormat } from "../images/commands.ts";
import { progressed, pushSample, type Sample, windowStats } from "../jobs/rate.ts";
import type { Move, MovePlan, PlannedMoveLayer } from "./model.ts";

/**
 * The bytes a layer counts "to copy": the source file's allocated data (what `qemu-img convert`
 * reads), except a live move's raw active layer, which the mirror scans over its whole virtual
 * size (a raw file's holes read as data to it, and its job's end is that size). The card follows
 * a mirror's own end once it runs (it grows with the guest's writes). Pure.
 */
export function layerBytesToCopy(
  layer: { format: ImageFormat; bytes: number; virtualSize: number },
  action: PlannedMoveLayer["action"],
): number {
  return mirrorScansWhole(layer.format, action) ? layer.virtualSize : layer.bytes;
}

/** True when the layer is counted at its virtual size (see {@link layerBytesToCopy}). Pure. */
export function mirrorScansWhole(format: ImageFormat, action: PlannedMoveLayer["action"]): boolean {
  return action === "create-and-mirror" && format === "raw";
}

/** Sum of the layers' bytes and (when known) doneBytes: a plan's or a move's. Pure. */
export function moveTotals(
  move: Pick<Move, "disks"> | Pick<MovePlan, "disks">,
): { bytesTotal: number; bytesDone: number } {
  let bytesTotal = 0;
  let bytesDone = 0;
  for (const disk of move.disks) {
    for (const layer of disk.layers) {
      bytesTotal += layer.bytes;
      if ("doneBytes" in layer) bytesDone += Math.min(layer.doneBytes, layer.bytes);
    }
  }
  return { bytesTotal, bytesDone };
}

/** A move's rate (bytes/s) and ETA (s); null when unknown. */
export interface MovePace {
  rateBytesPerSecond: number | null;
  etaSeconds: number | null;
}

/** How long a part's first growth run may last before its bytes count over time. */
const FIRST_RUN_MS = 1000;

/** One copy (a layer's `qemu-img convert`, or a disk's mirror) as the rate follows it. */
interface Part {
  samples: Sample[];
  moved: boolean;
  /** While in its first growth run: when it began and the count so far. */
  firstRun: { since: number; cur: number } | null;
}

/**
 * A move's rate and ETA from bytes over time across samples: the sum of the rates of the copies
 * running now (a layer being copied, each mirror not yet in sync), each over its own window with
 * the job book's logic ({@link pushSample}, {@link progressed}, {@link windowStats}: whole
 * bursts of a throttled copy, none until two samples show progress); null when none is known.
 * A copy's first growth run (QEMU copies a whole buffer at once before it waits out the limit;
 * a small layer's convert prints one tick) is no rate: its window starts where that run ends
 * (or after {@link FIRST_RUN_MS}). The ETA is the move's whole remainder at that rate.
 */
export class MoveRate {
  readonly #windowMs: number;
  readonly #parts = new Map<string, Part>();

  /**
   * `windowMs`: how far back each copy's rate looks; long enough to span several of a throttled
   * mirror's steps (16 MiB at 4 MiB/s is one per 4 s), so a window that starts mid-wait barely
   * counts.
   */
  constructor(windowMs = 30_000) {
    this.#windowMs = windowMs;
  }

  /** Records the move as it is at `at` (ms) and returns its pace. */
  sample(at: number, move: Pick<Move, "disks" | "state">): MovePace {
    let rate: number | null = null;
    const add = (r: number | null) => {
      if (r !== null) rate = (rate ?? 0) + r;
    };
    for (const disk of move.disks) {
      disk.layers.forEach((layer, i) => {
        if (i === 0 && disk.job !== null) {
          // Ready: cur and end only follow the guest's writes, no copy rate.
          if (disk.job.phase === "mirroring") {
            add(this.#part(disk.target, at, disk.job.cur, disk.job.end));
          }
        } else if (layer.state === "copying") {
          add(this.#part(`${disk.target}#${i}`, at, layer.doneBytes, layer.bytes));
        }
      });
    }
    if (rate === null || move.state === "ready") {
      return { rateBytesPerSecond: null, etaSeconds: null };
    }
    const { bytesTotal, bytesDone } = moveTotals(move);
    const remaining = Math.max(0, bytesTotal - bytesDone);
    return {
      rateBytesPerSecond: Math.round(rate),
      etaSeconds: remaining === 0 ? 0 : rate > 0 ? Math.ceil(remaining / rate) : null,
    };
  }

  /** The rate of one copy after this look at it; null while unknown. */
  #part(key: string, at: number, cur: number, end: number): number | null {
    let part = this.#parts.get(key);
    if (!part) {
      part = { samples: [], moved: false, firstRun: null };
      this.#parts.set(key, part);
    }
    if (part.samples.length === 0) {
      if (cur <= 0) return null;
      const run = part.firstRun;
      if (run === null || (cur > run.cur && at - run.since < FIRST_RUN_MS)) {
        part.firstRun = { since: run?.since ?? at, cur };
        return null;
      }
    }
    const sample = { t: at, cur, end };
    const previous = part.samples[part.samples.length - 1];
    part.samples = pushSample(part.samples, sample, this.#windowMs);
    part.moved = part.samples.length > 1 && (part.moved || progressed(previous, sample));
    return windowStats(part.samples, false, part.moved).rateBytesPerSecond;
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
