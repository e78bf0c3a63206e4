/**
 * The hosts' routes: `GET /api/v1/hosts`, the all-hosts page `GET /hosts`, every existing route
 * group mounted again under `/api/v1/hosts/{host}/…` and `/hosts/{host}/…` for each host, and a
 * 404 with a sentence for a host that is not configured.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http_errors.ts";
import { layoutSessionOf } from "../routes/viewer.ts";
import { HostsPage } from "../../views/hosts.tsx";
import type { Host, HostRegistry } from "./model.ts";
import { HOST_PAGE_DEADLINE_MS, hostOverviews, hostSummary } from "./overview.ts";
import { HOST_READ_DEADLINE_MS, hostReads } from "./read_deadline.tsx";

/** What the host routes need. */
export interface HostRoutesDeps {
  registry: HostRegistry;
  /** Per-host deadline of a page or of `GET /api/v1/hosts` (ms). */
  deadlineMs?: number;
}

/** `GET /api/v1/hosts` and `GET /hosts` (mount at `/`). */
export function hostsRoutes(deps: HostRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const deadline = deps.deadlineMs ?? HOST_PAGE_DEADLINE_MS;
  app.get("/api/v1/hosts", async (c) => {
    const hosts = await hostOverviews(deps.registry, deadline);
    return c.json(
      {
        hosts: hosts.map(hostSummary),
      },
      200,
      { "cache-control": "no-store" },
    );
  });
  app.get("/hosts", async (c) => {
    const hosts = await hostOverviews(deps.registry, deadline);
    return c.html(
      <HostsPage uri={deps.registry.default.uri} session={layoutSessionOf(c)} hosts={hosts} />,
    );
  });
  return app;
}

/** The route groups of one host, each with the path it is mounted at below the host's prefix. */
export interface HostRouteGroup {
  /** `api` groups go under `/api/v1/hosts/{host}`, `page` groups under `/hosts/{host}`. */
  under: "api" | "page";
  /** Path below that prefix (`""` or `/ui`). */
  path: string;
  routes: Hono<AppEnv>;
}

/**
 * Mounts `groups(host)` for every host under `/api/v1/hosts/{host}` and `/hosts/{host}`, then a
 * 404 for any other host name. Pages of a host get `hostBase` so their links stay on the host;
 * its reads answer within `readDeadlineMs` (see `read_deadline.tsx`).
 */
export function mountHostRoutes(
  app: Hono<AppEnv>,
  registry: HostRegistry,
  groups: (host: Host) => HostRouteGroup[],
  readDeadlineMs = HOST_READ_DEADLINE_MS,
): void {
  for (const host of registry.list()) {
    const base = `/hosts/${host.name}`;
    const api = `/api/v1/hosts/${host.name}`;
    // Known down: answer at once with what failed, never from an old snapshot or a hung read;
    // a read that hangs gets the host's deadline, then the same answer.
    const reachableOnly = hostReads(host, readDeadlineMs);
    const onHost = async (c: Context<AppEnv>, next: () => Promise<void>) => {
      c.set("hostBase", base);
      return await reachableOnly(c, next);
    };
    app.use(`${base}/*`, onHost);
    app.use(base, onHost);
    app.use(`${api}/*`, reachableOnly);
    for (const group of groups(host)) {
      const prefix = group.under === "api" ? api : base;
      app.route(`${prefix}${group.path}`, group.routes);
    }
  }
  const unknown = (c: Context<AppEnv>) => {
    const name = c.req.param("host") ?? "";
    if (registry.get(name)) return c.notFound(); // a known host, an unknown path
    const known = registry.list().map((h) => h.name).join(", ");
    throw new HttpError(
      404,
      "unknown_host",
      `There is no host called ${JSON.stringify(name)}; the hosts are: ${known}`,
    );
  };
  app.all("/api/v1/hosts/:host", unknown);
  app.all("/api/v1/hosts/:host/*", unknown);
  app.all("/hosts/:host", unknown);
  app.all("/hosts/:host/*", unknown);
}
