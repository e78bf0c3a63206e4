/**
 * One host's reachability: a failure marks it unreachable with the sentence, the time and the
 * next retry; a probe retries with exponential backoff until libvirt answers again. While it is
 * unreachable, calls fail fast (see `guarded_runner.ts`) instead of each waiting for a deadline.
 *
 * @module
 */
import type { HostStatus } from "./model.ts";

/** Options of {@link HostHealth}. */
export interface HostHealthOptions {
  /** Asks libvirt whether it answers; rejects with the failure (given its own short deadline). */
  probe: () => Promise<void>;
  /** Called once each time the host answers again after being unreachable. */
  onRecovered?: () => void;
  /** First and largest delay before a retry; default 1 s and 30 s. */
  backoffMs?: { initial: number; max: number };
  now?: () => number;
}

/** See the module documentation. */
export class HostHealth {
  readonly #options: HostHealthOptions;
  readonly #now: () => number;
  #reachable = true;
  #lastError: string | null = null;
  #since: number | null = null;
  #nextRetryAt: number | null = null;
  #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #probing: Promise<void> | null = null;
  #stopped = false;

  constructor(options: HostHealthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#delayMs = options.backoffMs?.initial ?? 1000;
  }

  /** False from a failure until a probe or a call succeeds. */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** The last failure's sentence while unreachable. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** True while calls should fail at once: unreachable and the next retry not yet due. */
  failingFast(): boolean {
    return !this.#reachable && this.#nextRetryAt !== null && this.#now() < this.#nextRetryAt;
  }

  /** JSON-ready state for banners and the API. */
  status(): HostStatus {
    const iso = (t: number | null) => t === null ? null : new Date(t).toISOString();
    return {
      reachable: this.#reachable,
      lastError: this.#reachable ? null : this.#lastError,
      since: this.#reachable ? null : iso(this.#since),
      nextRetryAt: this.#reachable ? null : iso(this.#nextRetryAt),
    };
  }

  /** libvirt did not answer: `message` says how. Schedules the next retry (backoff doubles). */
  markFailure(message: string): void {
    const now = this.#now();
    if (this.#reachable) {
      this.#reachable = false;
      this.#since = now;
      this.#delayMs = this.#options.backoffMs?.initial ?? 1000;
    } else {
      this.#delayMs = Math.min(this.#delayMs * 2, this.#options.backoffMs?.max ?? 30_000);
    }
    this.#lastError = message;
    this.#schedule(now + this.#delayMs);
  }

  /** libvirt answered. */
  markSuccess(): void {
    if (this.#reachable) return;
    this.#reachable = true;
    this.#lastError = null;
    this.#since = null;
    this.#nextRetryAt = null;
    clearTimeout(this.#timer);
    this.#options.onRecovered?.();
  }

  /** A call took too long: probe now (once at a time) to tell slow from gone. */
  suspect(): Promise<void> {
    this.#probing ??= this.#options.probe().then(
      () => this.markSuccess(),
      (e) => this.markFailure(e instanceof Error ? e.message : String(e)),
    ).finally(() => this.#probing = null);
    return this.#probing;
  }

  /** Stops retrying (server shutdown). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(at: number): void {
    this.#nextRetryAt = at;
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.suspect(), Math.max(0, at - this.#now()));
    Deno.unrefTimer(this.#timer);
  }
}
