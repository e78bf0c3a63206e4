/**
 * The counting semaphore behind the runner's lanes (see runner.ts): a slot is a release function
 * that frees it once, however often it is called.
 *
 * @module
 */

/** A counting semaphore: waiters queue in order; each slot is released once. */
export class Semaphore {
  #free: number;
  #waiters: (() => void)[] = [];
  /** `n` slots, all free. */
  constructor(n: number) {
    this.#free = n;
  }
  /** A slot if one is free now, else null (never queues). */
  tryAcquire(): (() => void) | null {
    if (this.#free === 0) return null;
    this.#free--;
    return this.#releaser();
  }
  /** A slot, waiting in line for one when none is free; resolves to its release function. */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.#releaser();
  }
  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
