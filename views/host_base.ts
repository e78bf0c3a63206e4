/**
 * Links on per-host pages: the dashboard's views write paths as for the default host
 * (`/domains/x`, `/ui/...`); on `/hosts/NAME/...` pages the host mount sets the request's
 * `hostBase` and every link made here carries it, so one set of views serves every host.
 *
 * @module
 */
import { tryGetContext } from "hono/context-storage";
import type { AppEnv, HostChoice } from "../server/env.ts";

/** `""` on the default host's pages, `/hosts/NAME` on another host's (from the request). */
export function hostBase(): string {
  return tryGetContext<AppEnv>()?.var.hostBase ?? "";
}

/** The hosts to choose from (empty with one host), from the request. */
export function hostChoices(): HostChoice[] {
  return tryGetContext<AppEnv>()?.var.hostChoices ?? [];
}

/** `path` (absolute, as on the default host) on the host of the page being rendered. */
export function hostHref(path: string): string {
  const base = hostBase();
  // A host's dashboard is `/hosts/NAME` (Hono's mounts are strict about the trailing slash).
  if (path === "/" && base !== "") return base;
  return `${base}${path}`;
}
