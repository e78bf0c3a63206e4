/**
 * `GET /healthz`: the server is up; whether libvirt answers is reported, not fatal. The answer
 * comes from what the job monitor last saw (its 10 s resync and its `virsh event` listener), so
 * a probe, which anyone may send without signing in, never starts a process.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { Hono } from "hono";
import type { LibvirtSeen } from "../jobs/libvirt_seen.ts";
import { apiRoute } from "../openapi/route.ts";
import { type HealthResponse, healthSchema } from "../openapi/schemas.ts";

/** Where the health probe reads libvirt's state from (the monitor's `libvirt`). */
export interface HealthSource {
  snapshot(): LibvirtSeen;
}

/** Routes for health checks. */
export function healthRoutes(uri: string, libvirt: HealthSource): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => {
    const seen = libvirt.snapshot();
    return c.json(
      {
        status: "ok",
        libvirt: {
          uri,
          reachable: seen.reachable,
          lastSeenAt: seen.lastSeenAt,
          ...(seen.message ? { message: seen.message } : {}),
        },
      } satisfies HealthResponse,
      200,
      { "cache-control": "no-store" },
    );
  });
  return app;
}

/** The OpenAPI description of {@link healthRoutes}. */
export const healthApiRoutes = [
  apiRoute({
    method: "get",
    path: "/healthz",
    operationId: "health",
    summary: "The server is up; whether libvirt answers (from memory, no virsh call)",
    tag: "meta",
    access: "public",
    responses: {
      200: { description: "Up (libvirt may still be unreachable).", schema: healthSchema },
    },
  }),
];
