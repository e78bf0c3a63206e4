/**
 * The Hono environment every part of the web app shares: `new Hono<AppEnv>()`, `c.var.user`.
 * The auth step fills {@link AuthVariables}; the request notes are what a request tells the
 * audit step about itself (no side tables keyed by request).
 *
 * @module
 */
import type { AuthVariables } from "./auth/middleware.ts";

/** What a request notes about itself for the refusal audit. */
export interface RequestNotes {
  /** Why the request failed, set wherever its error answer is made (guards, routes, onError). */
  failure: string | null;
  /**
   * Set once the request wrote its own audit entry (a virsh call it made, a login attempt, a
   * terminal line), so the refusal audit adds no second row.
   */
  audited: boolean;
}

/** The environment of the app and of every sub-app. */
export interface AppEnv {
  Variables: AuthVariables & RequestNotes & HostVariables;
}

/** Set by the per-host mounts (`server/hosts/mount.ts`). */
export interface HostVariables {
  /** `/hosts/NAME` while serving another host's pages (links carry it); unset for the default. */
  hostBase?: string;
  /** The hosts the terminal may address, when there are several (its host selector). */
  hostChoices?: HostChoice[];
}

/** One entry of the terminal's host selector. */
export interface HostChoice {
  name: string;
  uri: string;
  /** The host's dashboard, where the terminal runs against it. */
  href: string;
}
