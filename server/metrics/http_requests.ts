/**
 * `blockboard_http_requests_total{route,status}`: one Hono middleware, outermost, counts every
 * answer (refusals of the guards included) under the route pattern that matched the request
 * (`/api/v1/domains/:name/disks/:target/job`), never the raw path, so the number of series stays
 * bounded whatever clients send. A path no route serves counts as `unmatched`.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, type Registry } from "./registry.ts";

/** The `route` label of requests no route (only middleware) matched. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * The pattern of the last handler route that matched the request; middleware (`app.use`,
 * method `ALL`) does not count. Call after the request was routed.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return routes.at(-1)?.path ?? UNMATCHED_ROUTE;
}

/** The HTTP request counter; see the module doc. */
export class HttpRequestMetrics {
  readonly requests: Counter;

  constructor(registry: Registry) {
    this.requests = registry.register(
      new Counter(
        "blockboard_http_requests_total",
        "HTTP requests answered, by matched route pattern and status code.",
        ["route", "status"],
      ),
    );
  }

  /** The middleware; mount it first so it sees every answer. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      try {
        await next();
      } finally {
        this.requests.inc({ route: routeLabel(c), status: String(c.res.status) });
      }
    };
  }
}
