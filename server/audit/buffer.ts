/**
 * When folded refusals reach the database: a timer writes the rows whose window has ended (once a
 * second by default), a full buffer is written at once, {@link RefusalBuffer.flush} writes all,
 * and {@link RefusalBuffer.close} writes all and stops the timer at shutdown. A batch that cannot
 * be written (the database busy, e.g. during a prune) stays buffered: a refused request must not
 * fail, nor a timer crash the server, because of the audit write.
 *
 * @module
 */
import type { Clock } from "../security/secrets.ts";
import {
  type AggregatorOptions,
  RefusalAggregator,
  type RefusalFields,
  type RefusalGroup,
} from "./aggregate.ts";

/** Options of {@link RefusalBuffer}. */
export interface RefusalBufferOptions extends AggregatorOptions {
  /** How often rows whose window ended are written (default 1000 ms). */
  flushIntervalMs?: number;
}

/** Writes one batch of rows in one transaction; throws when it could not. */
export type BatchWriter = (groups: RefusalGroup[]) => void;

/** Folds refusals in memory and writes them in batches through `write`. */
export class RefusalBuffer {
  readonly #pending: RefusalAggregator;
  readonly #write: BatchWriter;
  readonly #now: Clock;
  readonly #flushIntervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(write: BatchWriter, now: Clock, options: RefusalBufferOptions = {}) {
    this.#pending = new RefusalAggregator(options);
    this.#write = write;
    this.#now = now;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  /** Rows buffered and not yet written. */
  get size(): number {
    return this.#pending.size;
  }

  /** Adds one refusal; writes everything when the buffer is full. Never throws for the write. */
  add(fields: RefusalFields): void {
    if (this.#pending.add(fields, this.#now())) this.#writeOrKeep(this.#pending.take(0, true));
    else this.#startTimer();
  }

  /** Writes every buffered row now; throws when the database refuses (nothing is lost). */
  flush(): void {
    const groups = this.#pending.take(this.#now(), true);
    try {
      this.#write(groups);
    } catch (error) {
      this.#pending.putBack(groups);
      throw error;
    }
  }

  /** Stops the timer and writes what is buffered (shutdown). */
  close(): void {
    this.#stopTimer();
    this.flush();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    const timer = setInterval(() => {
      this.#writeOrKeep(this.#pending.take(this.#now()));
      if (this.#pending.size === 0) this.#stopTimer();
    }, this.#flushIntervalMs);
    // The buffer must not keep the process alive; shutdown writes it with close().
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #writeOrKeep(groups: RefusalGroup[]): void {
    try {
      this.#write(groups);
    } catch (error) {
      console.error(`blockboard: audit write failed, kept buffered: ${(error as Error).message}`);
      this.#pending.putBack(groups);
      this.#startTimer();
    }
  }
}
