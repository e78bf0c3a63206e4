/**
 * What the job monitor last learnt about libvirt: when a call of its own (the periodic resync's
 * `list`, the `virsh event` listener) last succeeded or failed. `/healthz` answers from it, so a
 * probe never starts a process of its own.
 *
 * @module
 */

/** A read-only view of libvirt's reachability, as the monitor last saw it. */
export interface LibvirtSeen {
  /** True when the latest observation was a success. */
  reachable: boolean;
  /** ISO time of the last success, or null (never reached since start). */
  lastSeenAt: string | null;
  /** ISO time of the last failure, or null. */
  lastErrorAt: string | null;
  /** The message of the last failure, while it is the latest observation. */
  message: string | null;
}

/** Records successes and failures; the monitor writes, everything else reads {@link snapshot}. */
export class LibvirtReachability {
  #seenAt: number | null = null;
  #errorAt: number | null = null;
  #message: string | null = null;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A call answered. */
  seen(): void {
    this.#seenAt = this.#now();
    this.#message = null;
  }

  /** A call failed because libvirt (or virsh) did not answer. */
  failed(error: unknown): void {
    this.#errorAt = this.#now();
    this.#message = error instanceof Error ? error.message : String(error);
  }

  /** The current view. */
  snapshot(): LibvirtSeen {
    const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();
    // A failure sets the message and a success clears it: the message says which came last.
    const reachable = this.#seenAt !== null && this.#message === null;
    return {
      reachable,
      lastSeenAt: iso(this.#seenAt),
      lastErrorAt: iso(this.#errorAt),
      message: reachable ? null : this.#message ?? "libvirt has not been reached yet",
    };
  }
}
