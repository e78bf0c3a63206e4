/**
 * Failed-login limiter. Failures are counted per client address and per user name in a sliding
 * window; once either reaches the limit, logins from that client / for that name get 429 with
 * `Retry-After` until the window slides past. Before that, each attempt is slowed by a delay that
 * doubles with every recent failure. State is in memory: a restart forgets it, which is fine
 * because the window is short.
 *
 * @module
 */
import { type Clock, systemClock } from "../security/secrets.ts";

/** Options of {@link LoginRateLimiter}. */
export interface LoginRateLimitOptions {
  /** Failures per user name within the window before 429 (default 5). */
  maxFailuresPerUser?: number;
  /** Failures per client address within the window before 429 (default 5). */
  maxFailuresPerClient?: number;
  /** Sliding window (default 15 minutes). */
  windowMs?: number;
  /** Delay after the first failure; doubles per failure (default 250 ms). */
  baseDelayMs?: number;
  /** Upper bound of the delay (default 4 s). */
  maxDelayMs?: number;
  /** Most keys remembered; the least recently failed are forgotten first (default 10,000). */
  maxKeys?: number;
  now?: Clock;
}

/** Outcome of {@link LoginRateLimiter.check}. */
export type LoginGate =
  | { allowed: true; delayMs: number }
  | { allowed: false; retryAfterSeconds: number; scope: "client" | "user" };

/** Counts failed logins and decides whether the next attempt may run. */
export class LoginRateLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #maxPerUser: number;
  readonly #maxPerClient: number;
  readonly #windowMs: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxKeys: number;
  readonly #now: Clock;

  constructor(options: LoginRateLimitOptions = {}) {
    this.#maxPerUser = options.maxFailuresPerUser ?? 5;
    this.#maxPerClient = options.maxFailuresPerClient ?? 5;
    this.#windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 4000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? systemClock;
  }

  /** Whether a login attempt may run now, and how long to stall it first. */
  check(client: string, userName: string): LoginGate {
    const now = this.#now();
    const clientFailures = this.#recent(clientKey(client), now);
    const userFailures = this.#recent(userKey(userName), now);
    const clientWait = this.#waitMs(clientFailures, this.#maxPerClient, now);
    const userWait = this.#waitMs(userFailures, this.#maxPerUser, now);
    if (clientWait > 0 || userWait > 0) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(Math.max(clientWait, userWait) / 1000)),
        scope: clientWait >= userWait ? "client" : "user",
      };
    }
    const failures = Math.max(clientFailures.length, userFailures.length);
    const delayMs = failures === 0
      ? 0
      : Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (failures - 1));
    return { allowed: true, delayMs };
  }

  /** Records a failed attempt (wrong password or unknown user) for both keys. */
  recordFailure(client: string, userName: string): void {
    const now = this.#now();
    for (const key of [clientKey(client), userKey(userName)]) {
      const list = this.#recent(key, now);
      list.push(now);
      // Re-insert so Map order is least-recently-failed first, for eviction.
      this.#failures.delete(key);
      this.#failures.set(key, list);
    }
    while (this.#failures.size > this.#maxKeys) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /**
   * Withdraws the latest failure of both keys. Used to record an attempt as failed *before* the
   * password check (so parallel guesses count at once) and take it back when it succeeds.
   */
  withdrawFailure(client: string, userName: string): void {
    for (const key of [clientKey(client), userKey(userName)]) {
      const list = this.#failures.get(key);
      if (!list) continue;
      list.pop();
      if (list.length === 0) this.#failures.delete(key);
    }
  }

  /**
   * Records a successful login: the user's counter is cleared. The client's is kept, so owning
   * one account does not reset the budget for guessing others.
   */
  recordSuccess(_client: string, userName: string): void {
    this.#failures.delete(userKey(userName));
  }

  /** Failures of `key` still inside the window (pruned in place). */
  #recent(key: string, now: number): number[] {
    const list = this.#failures.get(key);
    if (!list) return [];
    const fresh = list.filter((at) => now - at < this.#windowMs);
    if (fresh.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, fresh);
    return fresh;
  }

  /** Milliseconds until fewer than `max` failures remain in the window (0 when already so). */
  #waitMs(failures: number[], max: number, now: number): number {
    if (failures.length < max) return 0;
    const releasing = failures[failures.length - max];
    return Math.max(0, releasing + this.#windowMs - now);
  }
}

function userKey(userName: string): string {
  return `user:${userName.toLowerCase().slice(0, 64)}`;
}

/** IPv6 clients are limited per /64, because one host usually owns a whole /64. */
function clientKey(address: string): string {
  return `client:${ipv6Prefix64(address) ?? address.toLowerCase()}`;
}

/** The /64 prefix of an IPv6 address (`a:b:c:d::/64`), or null for anything else. */
export function ipv6Prefix64(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, "").split("%")[0].toLowerCase();
  if (!bare.includes(":") || /^::ffff:\d+\.\d+\.\d+\.\d+$/.test(bare)) return null;
  const [head, tail] = bare.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(":") : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array(Math.max(0, zeros)).fill("0"), ...tailGroups];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
