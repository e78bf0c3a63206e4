/**
 * Per-session CSRF token, the third line after the Host allowlist and the Origin check. Pages
 * embed the token (`c.get("csrfToken")`) in `hx-headers='{"X-CSRF-Token": "..."}'` on `<body>`
 * and as a hidden `_csrf` field in plain forms; every unsafe request from a session (or open mode)
 * must echo it.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse } from "./respond.ts";
import { timingSafeEqual } from "./secrets.ts";

/** Header htmx sends the token in. */
export const CSRF_HEADER = "X-CSRF-Token";

/** Form field plain forms send the token in. */
export const CSRF_FIELD = "_csrf";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** What the CSRF check needs from the auth step (structurally `AuthVariables`). */
export interface CsrfVariables {
  user: { via: "session" | "token" | "open" } | null;
  csrfToken: string | null;
}

/**
 * Middleware, placed after `authenticate`: on unsafe methods, session and open-mode callers must
 * send the expected token in `X-CSRF-Token` or the `_csrf` form field (compared in constant
 * time), else 403 `csrf`. Bearer-token callers are exempt (a browser cannot forge that header
 * cross-site). Anonymous callers pass: they can only reach the login form, which the Origin check
 * and `SameSite=Strict` already cover, and every other route answers them 401.
 */
export function csrfProtection<
  E extends { Variables: CsrfVariables } = { Variables: CsrfVariables },
>(): MiddlewareHandler<E> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return await next();
    const variables = c.var as CsrfVariables;
    const user = variables.user;
    if (!user || user.via === "token") return await next();
    const expected = variables.csrfToken;
    const presented = c.req.header(CSRF_HEADER) ?? await formToken(c);
    if (!expected || !presented) {
      return errorResponse(
        c,
        403,
        "csrf",
        "The CSRF token is missing. Reload the page and try again.",
      );
    }
    if (!timingSafeEqual(presented, expected)) {
      return errorResponse(
        c,
        403,
        "csrf",
        "The CSRF token is wrong. Reload the page and try again.",
      );
    }
    await next();
  };
}

/** The `_csrf` field of a url-encoded or multipart body (parsed once; Hono caches it). */
async function formToken(c: Context): Promise<string | undefined> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (
    !type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")
  ) {
    return undefined;
  }
  try {
    const body = await c.req.parseBody();
    const value = body[CSRF_FIELD];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
