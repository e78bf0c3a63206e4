/**
 * Caps on long-lived terminal responses that hold memory and a connection: the live event log
 * streams (`/ui/terminal/events`), per user and in all.
 *
 * @module
 */

/** Limits of a {@link StreamCounter}. */
export interface StreamCaps {
  /** Open streams per user (default 6: a few tabs). */
  perUser?: number;
  /** Open streams in all (default 64). */
  total?: number;
}

/** Counts open streams; {@link open} refuses beyond the caps. */
export class StreamCounter {
  readonly #perUser: number;
  readonly #total: number;
  readonly #byUser = new Map<string, number>();
  #open = 0;

  constructor(caps: StreamCaps = {}) {
    this.#perUser = caps.perUser ?? 6;
    this.#total = caps.total ?? 64;
  }

  /** Streams open now. */
  get open(): number {
    return this.#open;
  }

  /** A release function for a new stream of `user`, or the sentence refusing it. */
  tryOpen(user: string): (() => void) | string {
    const mine = this.#byUser.get(user) ?? 0;
    if (mine >= this.#perUser) {
      return `You already have ${this.#perUser} event streams open (one per page): close a tab.`;
    }
    if (this.#open >= this.#total) {
      return `The server already serves ${this.#total} event streams; try again later.`;
    }
    this.#byUser.set(user, mine + 1);
    this.#open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      const n = (this.#byUser.get(user) ?? 1) - 1;
      if (n <= 0) this.#byUser.delete(user);
      else this.#byUser.set(user, n);
    };
  }
}
