/**
 * `GET /metrics` for Prometheus, in a group of its own mounted before the app's guard chain:
 * the security headers, the Host allowlist, then its own access check — a bearer token, either
 * any valid API token or the separate metrics token (`--metrics-token`). No session, no CSRF
 * token (a scraper has neither). Without a token it is open only in open mode, which exists only
 * on loopback; everywhere else a scrape without a valid bearer gets a 401.
 *
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import type { TokenStore } from "../auth/tokens.ts";
import { HttpError } from "../http_errors.ts";
import { securityHeaders } from "../security/headers.ts";
import { hostAllowlist } from "../security/host.ts";
import { sha256Hex, timingSafeEqual } from "../security/secrets.ts";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";

/** Who may scrape, with the security layer on. */
export interface MetricsAccess {
  tokens: TokenStore;
  /** The `--metrics-token` value, or null when none is set. */
  metricsToken: string | null;
  /** True while running open (loopback, no credentials): scrapes need no token. */
  openMode: () => boolean;
  allowedHosts: ReadonlySet<string>;
}

/** What the group needs. */
export interface MetricsRouteDeps {
  /** The scrape body, from memory. */
  render: () => string;
  /** Null in open loopback mode without a security layer (unit tests): no check. */
  access: MetricsAccess | null;
}

function refuse(code: string, message: string, challenge: string): never {
  throw new HttpError(401, code, message, undefined, { "WWW-Authenticate": challenge });
}

/** The access check of `/metrics`; see the module doc. */
export function metricsAccess(access: MetricsAccess): MiddlewareHandler<AppEnv> {
  const metricsHash = access.metricsToken === null ? null : sha256Hex(access.metricsToken);
  return async (c, next) => {
    const authorization = c.req.header("authorization");
    if (authorization === undefined) {
      if (access.openMode()) return await next();
      refuse(
        "unauthenticated",
        "Scraping /metrics needs 'Authorization: Bearer <token>' (an API token or the --metrics-token).",
        'Bearer realm="metrics"',
      );
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!match) {
      refuse(
        "unauthenticated",
        "Only 'Authorization: Bearer <token>' is accepted.",
        'Bearer realm="metrics", error="invalid_request"',
      );
    }
    const presented = match[1];
    if (metricsHash && timingSafeEqual(await sha256Hex(presented), await metricsHash)) {
      return await next();
    }
    if (await access.tokens.verify(presented)) return await next();
    refuse(
      "invalid_token",
      "The token is neither a valid API token nor the metrics token.",
      'Bearer realm="metrics", error="invalid_token"',
    );
  };
}

/** The `/metrics` group. */
export function metricsRoutes(deps: MetricsRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  if (deps.access) {
    app.use(
      "/metrics",
      securityHeaders(),
      hostAllowlist({ allowed: deps.access.allowedHosts }),
      metricsAccess(deps.access),
    );
  }
  app.get("/metrics", (c) =>
    c.body(deps.render(), 200, {
      "Content-Type": EXPOSITION_CONTENT_TYPE,
      "Cache-Control": "no-store",
    }));
  return app;
}
