/**
 * The host-wide move queue: at most `maxRunning` moves run at once, the others wait in an order
 * an operator can change (up, down) or leave (cancel); an optional bandwidth budget is shared
 * evenly by the running moves, each getting the smaller of its own limit and its share, and is
 * re-shared whenever a move starts or ends.
 *
 * The move engine hands the queue a move id and the function that runs the move
 * (`enqueue(id, run, {bandwidthBytes})`); the queue calls `run` with a {@link MoveLease} once a
 * slot is free, and frees the slot when `run` settles. The lease tells the move its current
 * bandwidth allowance and when that changes. The queue knows nothing else about moves: no virsh,
 * no files, no database.
 *
 * @module
 */

/** A running move's view of the queue: its current allowance and when it changes. */
export interface MoveLease {
  /** The move id given to {@link MoveQueue.enqueue}. */
  readonly id: string;
  /**
   * Bytes per second the move may use now: the smaller of its own limit and its share of the
   * budget; null when neither limits it (copy as fast as the disks allow).
   */
  bandwidth(): number | null;
  /**
   * Calls `listener` with the new allowance each time it changes (another move started or
   * ended, or this move's own limit changed). Returns the unsubscribe.
   */
  onBandwidthChange(listener: (bytesPerSecond: number | null) => void): () => void;
}

/** What the queue runs: the move itself. Its settling (either way) frees the slot. */
export type MoveRun = (lease: MoveLease) => Promise<unknown>;

/** Options of {@link MoveQueue.enqueue}. */
export interface EnqueueOptions {
  /**
   * The move's own bandwidth limit in bytes/s; 0, null or absent: only the budget limits it
   * (0 is the model's "unlimited", `Move.bandwidthBytes`).
   */
  bandwidthBytes?: number | null;
  /**
   * Wait first in line instead of last: a move resumed after a restart was already running (or
   * first) before it and should not fall behind moves queued later.
   */
  front?: boolean;
}

/** A change the queue announces (the page redraws positions, the engine re-applies limits). */
export type QueueChange =
  | { kind: "order" }
  | { kind: "bandwidth"; id: string; bytesPerSecond: number | null };

/** Where a move stands in the queue. */
export type QueuePlace =
  | { kind: "running" }
  | { kind: "waiting"; position: number; of: number }
  | { kind: "absent" };

/** A snapshot of the queue, for pages and the API. */
export interface QueueSnapshot {
  maxRunning: number;
  /** Bytes/s shared by all running moves, or null for no budget. */
  bandwidthBudget: number | null;
  /** Running move ids, in the order they started. */
  running: string[];
  /** Waiting move ids, next first. */
  waiting: string[];
}

/** Options of {@link MoveQueue}. */
export interface MoveQueueOptions {
  /** Moves running at once (the `--max-moves` flag); at least 1. */
  maxRunning?: number;
  /** Bytes/s shared by all running moves (the `--bandwidth-budget` flag); null: no budget. */
  bandwidthBudget?: number | null;
  /**
   * Told when a run rejects. The engine records its own failures on the move; this is for a
   * run that threw past them, so nothing is lost silently. Default: `console.error`.
   */
  onRunError?: (id: string, error: unknown) => void;
}

/** A move id that is already queued or running. */
export class MoveQueueConflictError extends Error {
  /** HTTP status for the routes (the move exists and is in the queue already). */
  readonly status = 409;
  /** Stable error code. */
  readonly code = "conflict";
  constructor(message: string) {
    super(message);
    this.name = "MoveQueueConflictError";
  }
}

interface Entry {
  id: string;
  run: MoveRun;
  ownLimit: number | null;
  /** The allowance last announced to this move's listeners (running moves only). */
  announced: number | null;
  listeners: Set<(bytesPerSecond: number | null) => void>;
}

/** The even share of `budget` among `running` moves; null for no budget. Pure. */
export function shareOf(budget: number | null, running: number): number | null {
  if (budget === null) return null;
  return Math.max(1, Math.floor(budget / Math.max(1, running)));
}

/** The smaller of a move's own limit and its share, null meaning "no limit". Pure. */
export function allowanceOf(ownLimit: number | null, share: number | null): number | null {
  if (ownLimit === null) return share;
  if (share === null) return ownLimit;
  return Math.min(ownLimit, share);
}

/** The host-wide queue; one per server (see `createServices`). */
export class MoveQueue {
  readonly maxRunning: number;
  readonly bandwidthBudget: number | null;
  readonly #onRunError: (id: string, error: unknown) => void;
  readonly #running = new Map<string, Entry>();
  #waiting: Entry[] = [];
  readonly #listeners = new Set<(change: QueueChange) => void>();

  constructor(options: MoveQueueOptions = {}) {
    const max = options.maxRunning ?? 1;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxRunning must be >= 1: ${max}`);
    const budget = options.bandwidthBudget ?? null;
    if (budget !== null && (!Number.isInteger(budget) || budget < 1)) {
      throw new RangeError(`bandwidthBudget must be a whole number >= 1: ${budget}`);
    }
    this.maxRunning = max;
    this.bandwidthBudget = budget;
    this.#onRunError = options.onRunError ??
      ((id, e) => console.error(`move ${id}: its run failed past the engine`, e));
  }

  /**
   * Queues move `id`: `run` is called with its lease as soon as a slot is free (at once when
   * one is). Throws {@link MoveQueueConflictError} when `id` is already queued or running.
   */
  enqueue(id: string, run: MoveRun, options: EnqueueOptions = {}): void {
    if (this.#running.has(id) || this.#waiting.some((e) => e.id === id)) {
      throw new MoveQueueConflictError(`Move ${id} is already in the queue`);
    }
    const entry: Entry = {
      id,
      run,
      ownLimit: options.bandwidthBytes || null,
      announced: null,
      listeners: new Set(),
    };
    if (options.front) this.#waiting.unshift(entry);
    else this.#waiting.push(entry);
    this.#emit({ kind: "order" });
    this.#pump();
  }

  /**
   * Takes a waiting move out of the queue (its run is never called). Returns false when it is
   * not waiting: a running move is canceled by the engine, which then ends its run.
   */
  cancel(id: string): boolean {
    const index = this.#waiting.findIndex((e) => e.id === id);
    if (index < 0) return false;
    this.#waiting.splice(index, 1);
    this.#emit({ kind: "order" });
    return true;
  }

  /** Moves a waiting move one place nearer the front. False when it is not waiting. */
  moveUp(id: string): boolean {
    return this.#shift(id, -1);
  }

  /** Moves a waiting move one place further back. False when it is not waiting. */
  moveDown(id: string): boolean {
    return this.#shift(id, +1);
  }

  /** Where move `id` stands: running, waiting (1-based position) or not in the queue. */
  place(id: string): QueuePlace {
    if (this.#running.has(id)) return { kind: "running" };
    const index = this.#waiting.findIndex((e) => e.id === id);
    return index < 0
      ? { kind: "absent" }
      : { kind: "waiting", position: index + 1, of: this.#waiting.length };
  }

  /** Running and waiting moves and the limits. */
  snapshot(): QueueSnapshot {
    return {
      maxRunning: this.maxRunning,
      bandwidthBudget: this.bandwidthBudget,
      running: [...this.#running.keys()],
      waiting: this.#waiting.map((e) => e.id),
    };
  }

  /**
   * The bytes/s move `id` may use now (see {@link MoveLease.bandwidth}); for a waiting move,
   * what it would get if it started now. Undefined when `id` is not in the queue.
   */
  bandwidthOf(id: string): number | null | undefined {
    const running = this.#running.get(id);
    if (running) return allowanceOf(running.ownLimit, this.#share());
    const waiting = this.#waiting.find((e) => e.id === id);
    if (!waiting) return undefined;
    return allowanceOf(waiting.ownLimit, shareOf(this.bandwidthBudget, this.#running.size + 1));
  }

  /**
   * Changes a queued or running move's own limit (the operator set a new bandwidth; 0 or null:
   * none); a running move's listeners hear the new allowance. False when `id` is not in the queue.
   */
  setOwnLimit(id: string, bandwidthBytes: number | null): boolean {
    const entry = this.#running.get(id) ?? this.#waiting.find((e) => e.id === id);
    if (!entry) return false;
    entry.ownLimit = bandwidthBytes || null;
    this.#reshare();
    return true;
  }

  /** Calls `listener` on every change of order or of a running move's allowance. */
  onChange(listener: (change: QueueChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #share(): number | null {
    return shareOf(this.bandwidthBudget, this.#running.size);
  }

  #shift(id: string, by: -1 | 1): boolean {
    const index = this.#waiting.findIndex((e) => e.id === id);
    if (index < 0) return false;
    const to = index + by;
    if (to >= 0 && to < this.#waiting.length) {
      const [entry] = this.#waiting.splice(index, 1);
      this.#waiting.splice(to, 0, entry);
      this.#emit({ kind: "order" });
    }
    // Already first (or last): nothing to do, and nothing wrong.
    return true;
  }

  #pump(): void {
    let started = false;
    while (this.#running.size < this.maxRunning && this.#waiting.length > 0) {
      const entry = this.#waiting.shift()!;
      this.#running.set(entry.id, entry);
      entry.announced = allowanceOf(entry.ownLimit, this.#share());
      started = true;
      // Leases of moves already running learn their smaller share before this one begins.
      this.#reshare();
      this.#start(entry);
    }
    if (started) this.#emit({ kind: "order" });
  }

  #start(entry: Entry): void {
    const lease: MoveLease = {
      id: entry.id,
      bandwidth: () => allowanceOf(entry.ownLimit, this.#share()),
      onBandwidthChange: (listener) => {
        entry.listeners.add(listener);
        return () => entry.listeners.delete(listener);
      },
    };
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(entry.run(lease));
    } catch (e) {
      result = Promise.reject(e);
    }
    result
      .catch((e) => this.#onRunError(entry.id, e))
      .finally(() => {
        this.#running.delete(entry.id);
        entry.listeners.clear();
        this.#reshare();
        this.#emit({ kind: "order" });
        this.#pump();
      });
  }

  /** Tells every running move whose allowance changed. */
  #reshare(): void {
    const share = this.#share();
    for (const entry of this.#running.values()) {
      const now = allowanceOf(entry.ownLimit, share);
      if (now === entry.announced) continue;
      entry.announced = now;
      for (const listener of [...entry.listeners]) {
        try {
          listener(now);
        } catch (e) {
          this.#onRunError(entry.id, e);
        }
      }
      this.#emit({ kind: "bandwidth", id: entry.id, bytesPerSecond: now });
    }
  }

  #emit(change: QueueChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (e) {
        console.error("move queue listener failed", e);
      }
    }
  }
}
