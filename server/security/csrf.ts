/**
 * Per-session CSRF token, the third line after the Host allowlist and the Origin check. Pages
 * embed the token (`c.get("csrfToken")`) in `hx-headers='{"X-CSRF-Token": "..."}'` on `<body>`
 * and as a hidden `_csrf` field in plain forms; every unsafe request from a session (or open mode)
 * must echo it.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http_errors.ts";
import { isSafeMethod } from "./methods.ts";
import { timingSafeEqual } from "./secrets.ts";

/** Header htmx sends the token in. */
export const CSRF_HEADER = "X-CSRF-Token";

/** Form field plain forms send the token in. */
export const CSRF_FIELD = "_csrf";

/**
 * Middleware, placed after `authenticate`: on unsafe methods, session and open-mode callers must
 * send the expected token in `X-CSRF-Token` or the `_csrf` form field (compared in constant
 * time), else 403 `csrf`. Bearer-token callers are exempt (a browser cannot forge that header
 * cross-site). Anonymous callers pass: they can only reach the login form, which the Origin check
 * and `SameSite=Strict` already cover, and every other route answers them 401.
 */
export function csrfProtection(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isSafeMethod(c.req.method)) return await next();
    const user = c.var.user;
    if (!user || user.via === "token") return await next();
    const expected = c.var.csrfToken;
    const presented = c.req.header(CSRF_HEADER) ?? await formToken(c);
    if (!expected || !presented) {
      throw new HttpError(
        403,
        "csrf",
        "The CSRF token is missing. Reload the page and try again.",
      );
    }
    if (!timingSafeEqual(presented, expected)) {
      throw new HttpError(
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
