/**
 * Shared set-up for auth tests: an in-memory database, stores on a fake clock, and a fast
 * (explicitly lowered) PBKDF2 iteration count.
 *
 * @module
 */
import { type Database, IN_MEMORY, openDatabase } from "../../server/db.ts";
import { LoginRateLimiter } from "../../server/auth/ratelimit.ts";
import { SessionStore } from "../../server/auth/sessions.ts";
import { TokenStore } from "../../server/auth/tokens.ts";
import { UserStore } from "../../server/auth/users.ts";

/** Iterations for test hashes only; production code never defaults to this. */
export const TEST_ITERATIONS = 1_000;

/** A clock tests can move. */
export interface FakeClock {
  now: () => number;
  advance: (ms: number) => void;
}

/** A fake clock starting at a fixed instant. */
export function fakeClock(start = Date.UTC(2025, 0, 1)): FakeClock {
  let current = start;
  return { now: () => current, advance: (ms) => void (current += ms) };
}

/** Stores over one in-memory database sharing one fake clock. */
export interface AuthFixture {
  db: Database;
  clock: FakeClock;
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenStore;
  limiter: LoginRateLimiter;
}

/** Builds an {@link AuthFixture}; `envToken` is passed to the token store. */
export function authFixture(options: { envToken?: string } = {}): AuthFixture {
  const db = openDatabase(IN_MEMORY);
  const clock = fakeClock();
  return {
    db,
    clock,
    users: new UserStore(db, { iterations: TEST_ITERATIONS, now: clock.now }),
    sessions: new SessionStore(db, { now: clock.now }),
    tokens: new TokenStore(db, { now: clock.now, envToken: options.envToken }),
    limiter: new LoginRateLimiter(db, { now: clock.now }),
  };
}
