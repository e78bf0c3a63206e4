/**
 * Error responses shared by the security middleware: API paths always get
 * `{"error":{"code","message"}}`, pages get plain text (never HTML, so nothing echoed can run).
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorBody, noteFailure } from "../http_errors.ts";

/** True for requests under `/api` (JSON clients). */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/** True when the caller is htmx (it sends `HX-Request: true`). */
export function isHtmxRequest(c: Context): boolean {
  return c.req.header("hx-request") === "true";
}

/** A JSON error in the shared shape. */
export function apiError(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  noteFailure(c, message);
  const body: ErrorBody = { error: { code, message } };
  return c.json(body, status, headers);
}

/**
 * An error in the shape the caller expects: JSON under `/api` or when JSON is the only thing the
 * client accepts, plain text otherwise.
 */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  if (wantsJson(c)) return apiError(c, status, code, message, headers);
  noteFailure(c, message);
  return c.text(message, status, headers);
}

/** JSON for `/api` paths and for clients that ask for JSON and not HTML. */
export function wantsJson(c: Context): boolean {
  if (isApiPath(c.req.path)) return true;
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}
