/**
 * Who is looking at a page, derived from what the auth middleware put on the request: what the
 * views need to draw the header, the CSRF token and the controls a role may use.
 *
 * @module
 */
import type { Context } from "hono";
import type { CurrentUser } from "../auth/middleware.ts";
import { roleAtLeast } from "../auth/roles.ts";
import type { LayoutSession } from "../../views/layout.tsx";

/** The request variables this module reads (set by `authenticate` or open mode). */
interface ViewerVariables {
  user?: CurrentUser | null;
  csrfToken?: string | null;
  openMode?: boolean;
}

function vars(c: Context): ViewerVariables {
  return c.var as ViewerVariables;
}

/** The caller as the page shell shows it (`user` is null before sign-in). */
export function layoutSessionOf(c: Context): LayoutSession {
  const v = vars(c);
  return {
    user: v.user ?? null,
    csrfToken: v.csrfToken ?? null,
    openMode: v.openMode ?? false,
    address: new URL(c.req.url).host,
  };
}

/** Can the caller start and control jobs (operator or admin)? */
export function canControlOf(c: Context): boolean {
  const user = vars(c).user;
  return user ? roleAtLeast(user.role, "operator") : false;
}
