/**
 * What the admin pages and the admin API share: the acting user as the account rules see them,
 * the HTTP status of a refused account change, and the session id parameter.
 *
 * @module
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import type { Actor } from "../auth/admin.ts";
import { UserError } from "../auth/users.ts";
import { callerOf } from "../audit/web.ts";
import { HttpError, toHttpError } from "../http_errors.ts";

/** The caller of request `c` as the acting user of an account change. */
export function actorOf(c: Context<AppEnv>): Actor {
  const { user, role, client } = callerOf(c);
  return { user, role, client };
}

/**
 * The HTTP error for a refused account change: 400 naming the field, 404, or 409 (exists, the
 * last admin). Anything else goes through the app's usual mapping.
 */
export function accountHttpError(e: unknown): HttpError {
  if (!(e instanceof UserError)) return toHttpError(e);
  switch (e.code) {
    case "invalid":
      return new HttpError(400, "invalid_input", e.message, e.field);
    case "not-found":
      return new HttpError(404, "not_found", e.message);
    case "exists":
      return new HttpError(409, "conflict", e.message, e.field);
    case "last-admin":
      return new HttpError(409, "last_admin", e.message);
  }
}

/** True when the account rules audited this refusal themselves. */
export function auditedByRules(e: unknown): boolean {
  return e instanceof UserError;
}

/** A session's id in URLs: the SHA-256 hex the database keeps (never a cookie value). */
export const sessionIdSchema = z.string().regex(
  /^[0-9a-f]{64}$/,
  "session id must be 64 hex digits",
);

/** The session id parameter, or a 400 naming it. */
export function sessionHashParam(raw: string): string {
  const r = sessionIdSchema.safeParse(raw);
  if (!r.success) throw new HttpError(400, "invalid_input", r.error.issues[0].message, "id");
  return r.data;
}
