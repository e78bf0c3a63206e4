/**
 * Request body caps, applied before anything parses a body (the CSRF check reads forms): a few
 * KiB for forms, 64 KiB for the JSON API. Bodies without `Content-Length` (chunked) are counted as
 * they arrive and cut off at the cap, so no body is ever held in memory beyond it.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError } from "../http_errors.ts";

/** Largest form body (login, job forms, CSRF-carrying posts). */
export const FORM_BODY_LIMIT = 8 * 1024;
/**
 * Largest body of the terminal's line form: a line may be 4096 UTF-16 units, and one unit can
 * take 9 bytes once UTF-8 and percent-encoded (`%E2%82%AC`), so the tokenizer, not this cap,
 * explains an over-long line.
 */
export const TERMINAL_FORM_BODY_LIMIT = 40 * 1024;
/** Largest body under `/api/`. */
export const API_BODY_LIMIT = 64 * 1024;

/** The cap for a request path. Pure. */
export function bodyLimitFor(path: string): number {
  if (path === "/api" || path.startsWith("/api/")) return API_BODY_LIMIT;
  if (path === "/ui/terminal/run") return TERMINAL_FORM_BODY_LIMIT;
  return FORM_BODY_LIMIT;
}

/** Text of the 413, naming the cap. */
export function tooLargeMessage(limit: number): string {
  return `The request body is larger than ${limit / 1024} KiB, the limit for this address.`;
}

const limiters = new Map<number, MiddlewareHandler>();

/**
 * Middleware: 413 (`payload_too_large`, rendered as JSON or the error page by the app's error
 * handler) for a body over {@link bodyLimitFor} its path.
 */
export function bodyLimits(): MiddlewareHandler {
  return (c, next) => {
    const limit = bodyLimitFor(c.req.path);
    let limiter = limiters.get(limit);
    if (!limiter) {
      limiter = bodyLimit({
        maxSize: limit,
        onError: () => {
          throw new HttpError(413, "payload_too_large", tooLargeMessage(limit));
        },
      });
      limiters.set(limit, limiter);
    }
    return limiter(c, next);
  };
}
