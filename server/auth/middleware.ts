/**
 * Who is calling: resolves a bearer token, a session cookie or open mode into `c.get("user")`,
 * and gates routes by role with {@link requireRole}.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { clientAddress as peerAddress } from "../security/client.ts";
import { HttpError, isHtmxRequest, wantsJson } from "../http_errors.ts";
import { randomToken } from "../security/secrets.ts";
import { type Role, roleAtLeast } from "./roles.ts";
import {
  clearSessionCookie,
  readSessionCookie,
  type Session,
  type SessionStore,
} from "./sessions.ts";
import type { TokenStore } from "./tokens.ts";
import { OPEN_MODE_USER } from "./users.ts";
import { safeNextPath } from "./login.ts";

/** The authenticated caller. */
export interface CurrentUser {
  /** User name, `token:<name>` for API tokens, `local` in open mode. */
  name: string;
  role: Role;
  via: "session" | "token" | "open";
}

/** Context variables set by {@link authenticate}. */
export interface AuthVariables {
  /** The caller, or null when anonymous. */
  user: CurrentUser | null;
  /** The session behind a cookie login, else null. */
  session: Session | null;
  /** The CSRF token pages must embed (`hx-headers`, `_csrf`); null for tokens and anonymous. */
  csrfToken: string | null;
  /** True when running open (no credentials, loopback): the UI shows a banner. */
  openMode: boolean;
  /** Peer address, for rate limits and the audit log. */
  clientAddress: string;
}

/** The caller in open mode (loopback, no users, no tokens): the local admin. */
export const OPEN_MODE_CALLER: Readonly<CurrentUser> = Object.freeze({
  name: OPEN_MODE_USER,
  role: "admin",
  via: "open",
});

/** Sets the request variables of an open-mode caller; the one place open mode is written. */
function enterOpenMode(c: Context<AppEnv>, csrfToken: string | null): void {
  c.set("user", { ...OPEN_MODE_CALLER });
  c.set("csrfToken", csrfToken);
  c.set("openMode", true);
}

/**
 * Middleware for an app built without security services (unit tests): every caller is the
 * open-mode admin and no guard runs.
 */
export function openLoopback(
  clientAddress: (c: Context) => string = peerAddress,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("session", null);
    c.set("clientAddress", clientAddress(c));
    enterOpenMode(c, null);
    await next();
  };
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions {
  sessions: SessionStore;
  tokens: TokenStore;
  /**
   * Whether open mode is in force, asked on every request (so creating the first user ends it
   * without a restart). Return true only on loopback with no users and no tokens.
   */
  openMode: () => boolean;
  /** Serving over TLS (for clearing stale cookies with matching attributes). */
  secureCookie: boolean;
  /** CSRF token for open mode (one per process); random by default. */
  openModeCsrfToken?: string;
  /** Peer address; defaults to the `Deno.serve` connection info. */
  clientAddress?: (c: Context) => string;
}

/**
 * Middleware: sets `user`, `session`, `csrfToken`, `openMode` and `clientAddress`.
 * Order of precedence: an `Authorization` header (Bearer only; an invalid token is a 401, never a
 * fallback to the cookie), then the `bb_session` cookie, then open mode. Anonymous requests pass
 * through with `user` null; gate routes with {@link requireRole}.
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<AppEnv> {
  const openCsrf = options.openModeCsrfToken ?? randomToken(32);
  const addressOf = options.clientAddress ?? peerAddress;
  return async (c, next) => {
    const open = options.openMode();
    c.set("openMode", open);
    c.set("clientAddress", addressOf(c));
    c.set("user", null);
    c.set("session", null);
    c.set("csrfToken", null);

    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      if (!match) {
        throw new HttpError(
          401,
          "unauthenticated",
          "Only 'Authorization: Bearer <token>' is accepted.",
          undefined,
          { "WWW-Authenticate": 'Bearer error="invalid_request"' },
        );
      }
      const identity = await options.tokens.verify(match[1]);
      if (!identity) {
        throw new HttpError(401, "invalid_token", "The API token is not valid.", undefined, {
          "WWW-Authenticate": 'Bearer error="invalid_token"',
        });
      }
      c.set("user", { name: identity.name, role: identity.role, via: "token" });
      return await next();
    }

    const cookie = readSessionCookie(c);
    if (cookie !== undefined) {
      const session = await options.sessions.resolve(cookie);
      if (session) {
        c.set("user", { name: session.userName, role: session.role, via: "session" });
        c.set("session", session);
        c.set("csrfToken", session.csrfToken);
        return await next();
      }
      // Expired, logged out or forged: drop it so the browser stops sending it.
      clearSessionCookie(c, { secure: options.secureCookie });
    }

    if (open) enterOpenMode(c, openCsrf);
    await next();
  };
}

/** Options of {@link requireRole}. */
export interface RequireRoleOptions {
  /** Where pages send anonymous visitors (default `/login`). */
  loginPath?: string;
}

/**
 * Middleware: lets the request through when the caller holds `role` or more. Anonymous callers
 * get a 401 (`WWW-Authenticate` for JSON clients, `HX-Redirect` to the login page for htmx) or a
 * 303 to `/login?next=...` for pages; callers with too little privilege a 403 `forbidden`. Both
 * are thrown as `HttpError`s for the app's `onError`.
 */
export function requireRole(
  role: Role,
  options: RequireRoleOptions = {},
): MiddlewareHandler<AppEnv> {
  const loginPath = options.loginPath ?? "/login";
  return async (c, next) => {
    const user = c.get("user");
    if (!user) return unauthenticated(c, loginPath);
    if (!roleAtLeast(user.role, role)) {
      throw new HttpError(
        403,
        "forbidden",
        `This needs the ${role} role; ${user.name} has the ${user.role} role.`,
      );
    }
    await next();
  };
}

function unauthenticated(c: Context, loginPath: string): Response {
  const message = "Sign in first (or send 'Authorization: Bearer <token>').";
  if (wantsJson(c)) {
    throw new HttpError(401, "unauthenticated", message, undefined, {
      "WWW-Authenticate": "Bearer",
    });
  }
  if (isHtmxRequest(c)) {
    // htmx follows HX-Redirect with a full page load; a 303 would be swapped into a fragment.
    throw new HttpError(401, "unauthenticated", message, undefined, { "HX-Redirect": loginPath });
  }
  if (c.req.method === "GET" || c.req.method === "HEAD") {
    const url = new URL(c.req.url);
    const next = safeNextPath(url.pathname + url.search);
    const target = next === "/" ? loginPath : `${loginPath}?next=${encodeURIComponent(next)}`;
    return c.redirect(target, 303);
  }
  return c.redirect(loginPath, 303);
}
