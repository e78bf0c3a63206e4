/**
 * Security headers on every response, and a guarantee that no CORS header ever leaves the server.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** The Content-Security-Policy: only our own scripts and styles, no inline script, no eval. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/**
 * `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` on our own
 * form posts (login, logout) and fetches, which the Origin check must refuse. `same-origin` still
 * sends nothing to other sites (no URL, no domain name leaks in a Referer).
 */
export const REFERRER_POLICY = "same-origin";

/** Headers set on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": REFERRER_POLICY,
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/**
 * Middleware, outermost: after the handler (and any inner middleware) ran, sets
 * {@link SECURITY_HEADERS} and deletes every `Access-Control-*` header, whoever added it.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    let headers = c.res.headers;
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
    } catch {
      // Some responses (e.g. from fetch) have immutable headers: copy into a fresh Response.
      c.res = new Response(c.res.body, c.res);
      headers = c.res.headers;
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
    }
    for (const name of [...headers.keys()]) {
      if (name.toLowerCase().startsWith("access-control-")) headers.delete(name);
    }
  };
}
