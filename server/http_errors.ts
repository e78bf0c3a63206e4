/**
 * Errors over HTTP, in one place: the one error type routes throw ({@link HttpError}, answered
 * by the app's `onError`), the mapping from domain errors to statuses, the one body shape —
 * `{"error":{"code","message"}}` — and which answer a caller gets (JSON for the API and JSON
 * clients, the error page for a browser, the sentence as plain text for htmx and the rest).
 * Guards and routes alike throw; the app's `onError` (`routes/error_pages.tsx`) answers and notes
 * the reason on the request for the audit log.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { VirshError } from "./virsh/errors.ts";
import { JobConflictError, JobInputError, NotFoundError } from "./jobs/errors.ts";

/** An error with an HTTP status, a stable code and a message a person can act on. */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  /** The input field at fault, for 400s. */
  readonly field?: string;
  /** Headers the answer carries (`WWW-Authenticate`, `Retry-After`, `HX-Redirect`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    field?: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.headers = headers;
  }

  /**
   * The JSON answer, for Hono's own error handler where no `onError` is installed (a sub-app
   * tested alone); the app's `onError` negotiates JSON, text or a page instead.
   */
  getResponse(): Response {
    return Response.json(errorBody(this), { status: this.status, headers: this.headers });
  }
}

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** A 400 from the first zod issue, naming the field. */
export function invalidInput(error: z.ZodError, what = "input"): HttpError {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : undefined;
  const message = field ? `${field}: ${issue.message}` : `${what}: ${issue?.message ?? "invalid"}`;
  return new HttpError(400, "invalid_input", message, field);
}

/** True when libvirt itself could not be reached (the service is unavailable, not the request wrong). */
export function isLibvirtDown(e: unknown): e is VirshError {
  return e instanceof VirshError &&
    (e.kind === "unreachable" || e.kind === "missing-binary" || e.kind === "timeout");
}

/** Maps any thrown value to an {@link HttpError}. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof JobInputError) return new HttpError(400, "invalid_input", e.message, e.field);
  if (e instanceof NotFoundError) return new HttpError(404, "not_found", e.message);
  if (e instanceof JobConflictError) return new HttpError(409, "conflict", e.message);
  if (e instanceof VirshError) {
    switch (e.kind) {
      case "unreachable":
      case "missing-binary":
      case "timeout":
        return new HttpError(503, "libvirt_unavailable", e.message);
      case "not-found":
        return new HttpError(404, "not_found", e.message);
      case "busy":
      case "no-job":
      case "not-ready":
      case "lock":
        return new HttpError(409, "conflict", e.message);
      default:
        return new HttpError(502, "libvirt_refused", e.message);
    }
  }
  // Errors from other modules carry their own status (job conflicts, input errors).
  if (e && typeof e === "object" && "status" in e && typeof e.status === "number") {
    const status = e.status as ContentfulStatusCode;
    const code = "code" in e && typeof e.code === "string" ? e.code : "error";
    const field = "field" in e && typeof e.field === "string" ? e.field : undefined;
    return new HttpError(
      status,
      code,
      String((e as { message?: unknown }).message ?? "error"),
      field,
    );
  }
  console.error("unexpected error", e);
  return new HttpError(500, "internal", "blockboard hit an unexpected error; see the server log");
}

/**
 * Notes on the request why it failed, wherever its error response is made (guards, routes, the
 * app's error handler), so the audit log records the reason without reading response bodies.
 */
export function noteFailure(c: Context<AppEnv>, message: string): void {
  c.set("failure", message);
}

/** The reason noted with {@link noteFailure}, if any. */
export function failureOf(c: Context<AppEnv>): string | undefined {
  return c.var.failure ?? undefined;
}

/** The body for an {@link HttpError}. */
export function errorBody(e: HttpError): ErrorBody {
  return { error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } };
}

/** What to tell an operator to do about a libvirt outage. */
export function libvirtHint(e: VirshError): string {
  switch (e.kind) {
    case "missing-binary":
      return "Install the client tools (apt-get install libvirt-clients), then reload.";
    case "timeout":
      return "libvirt is slow or stuck; this page retries on reload. Check libvirtd's health on the host.";
    default:
      return "Start libvirt on the host (as root: virtlogd -d && libvirtd -d) or check --connect; this page recovers on reload.";
  }
}

/** True for requests under `/api` (JSON clients). */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/** True when the caller is htmx (it sends `HX-Request: true`). */
export function isHtmxRequest(c: Context): boolean {
  return c.req.header("hx-request") === "true";
}

/** A browser asking for a page: not the API, not a JSON client, not htmx. */
export function wantsHtml(c: Context): boolean {
  if (wantsJson(c) || isHtmxRequest(c)) return false;
  return (c.req.header("accept") ?? "").includes("text/html");
}

/** JSON for `/api` paths and for clients that ask for JSON and not HTML. */
export function wantsJson(c: Context): boolean {
  if (isApiPath(c.req.path)) return true;
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}
