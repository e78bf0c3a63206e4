/**
 * One error shape for the whole API — `{"error":{"code","message"}}` — and the mapping from
 * domain errors to HTTP statuses.
 *
 * @module
 */
import type { Context } from "hono";
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

  constructor(status: ContentfulStatusCode, code: string, message: string, field?: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.field = field;
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

const failures = new WeakMap<Request, string>();

/**
 * Remembers why a request failed, wherever its error response is made (guards, routes, the
 * app's error handler), so the audit log records the reason without reading response bodies.
 */
export function noteFailure(c: Context, message: string): void {
  failures.set(c.req.raw, message);
}

/** The reason noted with {@link noteFailure}, if any. */
export function failureOf(c: Context): string | undefined {
  return failures.get(c.req.raw);
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
