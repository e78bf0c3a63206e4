/**
 * Typed errors of the job operations; routes map them to HTTP statuses
 * (`JobInputError` 400, `NotFoundError` 404, `JobConflictError` 409; `VirshError` passes through
 * as 502, or 503 when libvirt is unreachable).
 *
 * @module
 */

/** Why an operation conflicts with the disk's state. */
export type ConflictReason =
  | "busy" // another blockboard operation on this disk is in flight
  | "job-exists" // the disk already has a block job
  | "no-job" // nothing to control
  | "not-ready" // pivot / keep-copy before the job is ready
  | "not-running" // the domain is not running
  | "dest-missing" // the copy destination vanished before a pivot
  | "wrong-type" // e.g. pivot of a pull
  | "in-use" // commit --delete of a layer another domain still uses
  | "owned"; // the job is a step of a storage move or a live migration (owners.ts)

/** The request conflicts with the current state of the disk (HTTP 409). */
export class JobConflictError extends Error {
  readonly reason: ConflictReason;
  constructor(reason: ConflictReason, message: string) {
    super(message);
    this.name = "JobConflictError";
    this.reason = reason;
  }
}

/** An input field is invalid (HTTP 400): `field` names it, the message says why. */
export class JobInputError extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = "JobInputError";
    this.field = field;
    this.reason = reason;
  }
}

/** Unknown domain or disk (HTTP 404). */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}
