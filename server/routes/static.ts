/**
 * Static assets, served from our own origin: our CSS and JS, and htmx from its npm package.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { Hono } from "hono";
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };

const here = new URL("../../static/", import.meta.url);

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  png: "image/png",
  svg: "image/svg+xml",
};

/** Files under `static/` that may be served (no directory walking from the URL). */
const OWN_FILES = new Set([
  "app.css",
  "app.js",
  "terminal.css",
  "terminal.js",
  "notify.js",
  "job_transitions.js",
  "moves.css",
  "favicon.svg",
]);

/** Routes under `/static/`. */
export function staticRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/htmx.min.js", (c) =>
    c.body(htmx, 200, {
      "content-type": TYPES.js,
      "cache-control": "public, max-age=3600",
    }));
  app.get("/:file", async (c) => {
    const file = c.req.param("file");
    if (!OWN_FILES.has(file)) return c.text("Not found", 404);
    const body = await Deno.readFile(new URL(file, here));
    const ext = file.slice(file.lastIndexOf(".") + 1);
    return c.body(body, 200, { "content-type": TYPES[ext], "cache-control": "no-cache" });
  });
  return app;
}
