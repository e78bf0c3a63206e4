/**
 * The client's address, for rate limiting and the audit log.
 *
 * @module
 */
import type { Context } from "hono";

/**
 * The header in which the front door (`server/http/front_door.ts`) passes the client address to
 * the HTTP server behind it. The door drops every copy a client sends and adds its own; the
 * server behind it listens only on a Unix socket in a 0700 directory, so nobody else can set it.
 */
export const PEER_HEADER = "x-blockboard-peer";

/**
 * The client address the front door put on a request that arrived on the private socket, or
 * null. Only the handler of that socket may call it (anywhere else, a client could have set it).
 */
export function frontDoorPeer(request: Request): string | null {
  const value = request.headers.get(PEER_HEADER);
  return value && /^[0-9A-Fa-f.:]{2,45}$/.test(value) ? value : null;
}

/**
 * The peer address of the TCP connection as the server reports it (`c.env.remoteAddr`: set by
 * `Deno.serve(opts, app.fetch)`, or from {@link frontDoorPeer} by the private socket's handler),
 * or `"unknown"`. Forwarded-for headers are deliberately ignored: anyone can send them.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: unknown } } | undefined;
  const hostname = env?.remoteAddr?.hostname;
  return typeof hostname === "string" && hostname !== "" ? hostname : "unknown";
}
