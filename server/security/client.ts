/**
 * The client's address, for rate limiting and the audit log.
 *
 * @module
 */
import type { Context } from "hono";

/**
 * The peer address of the TCP connection as `Deno.serve` reports it (`c.env.remoteAddr`, set when
 * the app is served as `Deno.serve(opts, app.fetch)`), or `"unknown"`. Forwarded-for headers are
 * deliberately ignored: anyone can send them.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: unknown } } | undefined;
  const hostname = env?.remoteAddr?.hostname;
  return typeof hostname === "string" && hostname !== "" ? hostname : "unknown";
}
