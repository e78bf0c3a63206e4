/**
 * Who is looking at a page, derived from what the auth step put on the request: what the views
 * need to draw the header, the CSRF token and the controls a role may use.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { canControl } from "../auth/policy.ts";
import type { LayoutSession } from "../../views/layout.tsx";

/** The caller as the page shell shows it (`user` is null before sign-in). */
export function layoutSessionOf(c: Context<AppEnv>): LayoutSession {
  return {
    user: c.var.user ?? null,
    csrfToken: c.var.csrfToken ?? null,
    openMode: c.var.openMode ?? false,
    address: new URL(c.req.url).host,
  };
}

/** Can the caller start and control jobs? Asks the access policy. */
export function canControlOf(c: Context<AppEnv>): boolean {
  return canControl(c.var.user ?? null);
}
