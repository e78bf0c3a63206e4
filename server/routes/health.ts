/**
 * `GET /healthz`: the server is up; whether libvirt answers is reported, not fatal.
 *
 * @module
 */
import { Hono } from "hono";
import type { VirshRunner } from "../virsh/runner.ts";

/** Routes for health checks. */
export function healthRoutes(runner: VirshRunner): Hono {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    let reachable = true;
    let message: string | undefined;
    try {
      await runner.run(["uri"], { timeoutMs: 5_000 });
    } catch (e) {
      reachable = false;
      message = (e as Error).message;
    }
    return c.json({
      status: "ok",
      libvirt: { uri: runner.uri, reachable, ...(message ? { message } : {}) },
    });
  });
  return app;
}
