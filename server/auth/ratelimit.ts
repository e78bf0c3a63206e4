/**
 * Failed-login limiter, kept in the database (`login_failures`) so a restart does not reset it.
 * Failures are counted in a sliding window under three keys:
 *
 * - per (account, client): the tight limit (default 5). Someone guessing from one address locks
 *   only that address out of that account; the right user elsewhere still logs in.
 * - per client across accounts (default 20): one address spraying many names.
 * - per account across clients (default 100): the backstop against guessing from many
 *   addresses; only it locks an account for everyone, and only under a distributed attack.
 *
 * Once a key reaches its limit, attempts under it get 429 with `Retry-After` until the window
 * slides past. Before that, each attempt is slowed by a delay that doubles with every recent
 * failure of the same client (on that account or across accounts), so an attacker slows himself
 * and nobody else.
 *
 * @module
 */
import type { Database } from "../db.ts";
import { type Clock, systemClock } from "../security/secrets.ts";

/** Options of {@link LoginRateLimiter}. */
export interface LoginRateLimitOptions {
  /** Failures per (account, client) within the window before 429 (default 5). */
  maxFailuresPerAccountClient?: number;
  /** Failures per client address across accounts within the window before 429 (default 20). */
  maxFailuresPerClient?: number;
  /** Failures per account across all clients within the window before 429 (default 100). */
  maxFailuresPerAccount?: number;
  /** Sliding window (default 15 minutes). */
  windowMs?: number;
  /** Delay after the first failure; doubles per failure (default 250 ms). */
  baseDelayMs?: number;
  /** Upper bound of the delay (default 4 s). */
  maxDelayMs?: number;
  /** Most failures remembered; the oldest are forgotten first (default 100,000). */
  maxRows?: number;
  now?: Clock;
}

/** Which limit refused an attempt. */
export type LoginLimitScope = "account-client" | "client" | "account";

/** Outcome of {@link LoginRateLimiter.check}. */
export type LoginGate =
  | { allowed: true; delayMs: number }
  | { allowed: false; retryAfterSeconds: number; scope: LoginLimitScope };

/** Counts failed logins in the database and decides whether the next attempt may run. */
export class LoginRateLimiter {
  readonly #db: Database;
  readonly #limits: Record<LoginLimitScope, number>;
  readonly #windowMs: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRows: number;
  readonly #now: Clock;

  constructor(db: Database, options: LoginRateLimitOptions = {}) {
    this.#db = db;
    this.#limits = {
      "account-client": options.maxFailuresPerAccountClient ?? 5,
      client: options.maxFailuresPerClient ?? 20,
      account: options.maxFailuresPerAccount ?? 100,
    };
    this.#windowMs = options.windowMs ?? 15 * 60 * 1000;
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 4000;
    this.#maxRows = options.maxRows ?? 100_000;
    this.#now = options.now ?? systemClock;
  }

  /** Whether a login attempt may run now, and how long to stall it first. */
  check(client: string, userName: string): LoginGate {
    const now = this.#now();
    const since = now - this.#windowMs;
    const account = accountKey(userName);
    const from = clientKey(client);
    const times: Record<LoginLimitScope, number[]> = {
      "account-client": this.#times("account = ? AND client = ?", [account, from], since),
      client: this.#times("client = ?", [from], since),
      account: this.#times("account = ?", [account], since),
    };
    let refused: { scope: LoginLimitScope; waitMs: number } | null = null;
    for (const scope of ["account-client", "client", "account"] as const) {
      const waitMs = this.#waitMs(times[scope], this.#limits[scope], now);
      if (waitMs > 0 && (!refused || waitMs > refused.waitMs)) refused = { scope, waitMs };
    }
    if (refused) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(refused.waitMs / 1000)),
        scope: refused.scope,
      };
    }
    const failures = Math.max(times["account-client"].length, times.client.length);
    const delayMs = failures === 0
      ? 0
      : Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (failures - 1));
    return { allowed: true, delayMs };
  }

  /**
   * Records a failed attempt (wrong password or unknown user) and returns its id, for
   * {@link withdrawFailure}.
   */
  recordFailure(client: string, userName: string): number {
    const now = this.#now();
    const { lastInsertRowid } = this.#db.prepare(
      "INSERT INTO login_failures (at, account, client) VALUES (?, ?, ?)",
    ).run(now, accountKey(userName), clientKey(client));
    const id = Number(lastInsertRowid);
    // Bounded: forget what left the window, and the oldest rows beyond the cap.
    this.#db.prepare("DELETE FROM login_failures WHERE at <= ? OR id <= ?").run(
      now - this.#windowMs,
      id - this.#maxRows,
    );
    return id;
  }

  /**
   * Withdraws a failure recorded by {@link recordFailure}. Used to record an attempt as failed
   * *before* the password check (so parallel guesses count at once) and take it back when it
   * succeeds.
   */
  withdrawFailure(id: number): void {
    this.#db.prepare("DELETE FROM login_failures WHERE id = ?").run(id);
  }

  /**
   * Records a successful login: the failures of this account from this client are cleared. The
   * client's and the account's totals are kept, so owning one account does not reset the budget
   * for guessing others, and a user logging in does not reset a distributed attack on them.
   */
  recordSuccess(client: string, userName: string): void {
    this.#db.prepare("DELETE FROM login_failures WHERE account = ? AND client = ?").run(
      accountKey(userName),
      clientKey(client),
    );
  }

  /** Times of the failures matching `where` since `since`, oldest first. */
  #times(where: string, params: string[], since: number): number[] {
    return (this.#db.prepare(
      `SELECT at FROM login_failures WHERE ${where} AND at > ? ORDER BY at`,
    ).all(...params, since) as { at: number }[]).map((r) => r.at);
  }

  /** Milliseconds until fewer than `max` failures remain in the window (0 when already so). */
  #waitMs(failures: number[], max: number, now: number): number {
    if (failures.length < max) return 0;
    const releasing = failures[failures.length - max];
    return Math.max(0, releasing + this.#windowMs - now);
  }
}

function accountKey(userName: string): string {
  return userName.toLowerCase().slice(0, 64);
}

/** IPv6 clients are limited per /64, because one host usually owns a whole /64. */
function clientKey(address: string): string {
  return ipv6Prefix64(address) ?? address.toLowerCase();
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
