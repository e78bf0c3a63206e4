/**
 * Who may do what: the one place that maps route groups to roles. The app's mount points gate
 * each group with {@link gate}; views get their "can control" prop from {@link canControl}; the
 * terminal picks its per-role allowlist with {@link terminalRoleOf}.
 *
 * `/metrics` is the one group outside this map: Prometheus scrapes it with a bearer (any API
 * token, whatever its role, or the metrics token) and it checks that itself (`routes/metrics.ts`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import type { TerminalRole } from "../terminal/allowlist.ts";
import { type CurrentUser, requireRole } from "./middleware.ts";
import { type Role, roleAtLeast } from "./roles.ts";
import { isSafeMethod } from "../security/methods.ts";

/** The roles a route group needs: to read (safe methods) and to change (every other method). */
export interface Access {
  read: Role;
  write: Role;
}

/** The route groups' access rules. */
export const ACCESS = {
  /** Inventory, jobs, pages, job forms: viewers read, operators start and control jobs. */
  dashboard: { read: "viewer", write: "operator" },
  /** The audit log and its exports. */
  audit: { read: "operator", write: "operator" },
  /**
   * The web terminal: any signed-in role may post a line; each line is then checked against the
   * allowlist of the caller's role ({@link terminalRoleOf}).
   */
  terminal: { read: "viewer", write: "viewer" },
  /** Users, API tokens and sessions (`/admin`, `/api/v1/admin`): admins only. */
  admin: { read: "admin", write: "admin" },
} as const satisfies Record<string, Access>;

/** The role a request with `method` needs under `access`. Pure. */
export function neededRole(access: Access, method: string): Role {
  return isSafeMethod(method) ? access.read : access.write;
}

/**
 * Middleware for a mount point: 401 for anonymous callers, 403 for too little privilege (see
 * `requireRole`).
 */
export function gate(access: Access): MiddlewareHandler<AppEnv> {
  const read = requireRole(access.read);
  const write = requireRole(access.write);
  return (c, next) => isSafeMethod(c.req.method) ? read(c, next) : write(c, next);
}

/** Can `user` start and control jobs (the dashboard's write role)? */
export function canControl(user: CurrentUser | null): boolean {
  return user ? roleAtLeast(user.role, ACCESS.dashboard.write) : false;
}

/** The terminal allowlist `user` gets, or null for anonymous callers. */
export function terminalRoleOf(user: CurrentUser | null): TerminalRole | null {
  return user ? user.role : null;
}
