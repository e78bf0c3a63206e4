/**
 * The login procedure, independent of HTTP: rate limit, slowdown, password check, new session.
 * The route only maps the outcome to a response (see {@link limitedResponse}).
 *
 * @module
 */
import { z } from "zod";
import { HttpError } from "../http_errors.ts";
import type { LoginLimitScope, LoginRateLimiter } from "./ratelimit.ts";
import type { Session, SessionStore } from "./sessions.ts";
import type { User, UserStore } from "./users.ts";

/** The login form's fields (names of the `<input>`s). */
export const loginFormSchema = z.object({
  username: z.string().trim().min(1, "enter your user name").max(64, "user name too long"),
  password: z.string().min(1, "enter your password").max(1024, "password too long"),
  next: z.string().max(2048).optional(),
});

/** What {@link attemptLogin} needs. */
export interface LoginDeps {
  users: UserStore;
  sessions: SessionStore;
  limiter: LoginRateLimiter;
  /** Waits `ms`; injected so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** One login attempt. */
export interface LoginAttempt {
  /** Client address (see `clientAddress`). */
  client: string;
  userName: string;
  password: string;
}

/** Outcome of {@link attemptLogin}. */
export type LoginOutcome =
  | { ok: true; user: User; sessionId: string; session: Session }
  | {
    ok: false;
    reason: "limited";
    retryAfterSeconds: number;
    message: string;
    /** Which limit was hit. */
    scope: LoginLimitScope;
  }
  | { ok: false; reason: "invalid" | "disabled"; message: string };

/** Which limit was hit, in words, for the 429 message. */
const LIMIT_WORDS: Record<LoginLimitScope, string> = {
  "account-client": "for this user from this address",
  client: "from this address",
  account: "for this user from many addresses",
};

/** The one message for a wrong name or password: it must not tell which of the two was wrong. */
export const INVALID_LOGIN_MESSAGE = "Wrong user name or password.";

/** Told only to whoever gave a disabled account's right password. */
export const DISABLED_LOGIN_MESSAGE = "This account is disabled. Ask an admin to enable it.";

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one login attempt. The attempt counts as a failure before the password is checked, so a
 * burst of parallel guesses is limited as quickly as a sequence; success takes it back.
 */
export async function attemptLogin(deps: LoginDeps, attempt: LoginAttempt): Promise<LoginOutcome> {
  const gate = deps.limiter.check(attempt.client, attempt.userName);
  if (!gate.allowed) {
    return {
      ok: false,
      reason: "limited",
      retryAfterSeconds: gate.retryAfterSeconds,
      scope: gate.scope,
      message: `Too many failed logins ${
        LIMIT_WORDS[gate.scope]
      }. Try again in ${gate.retryAfterSeconds} seconds.`,
    };
  }
  const failure = deps.limiter.recordFailure(attempt.client, attempt.userName);
  if (gate.delayMs > 0) await (deps.sleep ?? realSleep)(gate.delayMs);
  const user = await deps.users.verify(attempt.userName, attempt.password);
  if (!user) return { ok: false, reason: "invalid", message: INVALID_LOGIN_MESSAGE };
  // Still counted as a failure: a disabled account is no way around the limits.
  if (user.disabled) return { ok: false, reason: "disabled", message: DISABLED_LOGIN_MESSAGE };
  deps.limiter.withdrawFailure(failure);
  deps.limiter.recordSuccess(attempt.client, attempt.userName);
  deps.users.recordLogin(user.name);
  const { id, session } = await deps.sessions.create(user.name, attempt.client);
  return { ok: true, user, sessionId: id, session };
}

/** The 429 with `Retry-After` for a limited attempt (the app answers it as JSON or text). */
export function limitedError(outcome: { retryAfterSeconds: number; message: string }): HttpError {
  return new HttpError(429, "rate_limited", outcome.message, undefined, {
    "Retry-After": String(outcome.retryAfterSeconds),
  });
}

/**
 * A same-site path to return to after login, or `/`. Refuses absolute URLs, `//host`,
 * backslashes and control characters, so `?next=` cannot become an open redirect.
 */
export function safeNextPath(value: string | undefined | null): string {
  if (!value || value.length > 2048) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  // deno-lint-ignore no-control-regex
  if (/[\\\x00-\x1f\x7f]/.test(value)) return "/";
  return value;
}
