/**
 * How the front door turns a connection away at a cap: a short 503 for plain-text clients, then
 * close, never waiting long on a client that does not read.
 *
 * @module
 */
import { closingResponse } from "./connection.ts";

/** The answer to a client over its own connection cap. */
export const REFUSED_PER_CLIENT: Uint8Array = closingResponse(
  503,
  "Service Unavailable",
  "too_many_connections",
  "Too many connections from your address are open; close some and retry.",
);

/** The answer when the total cap is reached and nobody could be evicted. */
export const REFUSED_TOTAL: Uint8Array = closingResponse(
  503,
  "Service Unavailable",
  "too_many_connections",
  "The server has too many open connections; retry in a few seconds.",
);

/**
 * Best effort: a plain-text client gets `response` (it fits the socket buffer), then the
 * connection is closed within a second. Under TLS it is closed at once: writing would start a
 * TLS handshake a flooding client may never finish.
 */
export function refuseConnection(conn: Deno.Conn, response: Uint8Array, tls: boolean): void {
  const close = () => {
    try {
      conn.close();
    } catch { /* gone */ }
  };
  if (tls) return close();
  const timer = setTimeout(close, 1000);
  conn.write(response).catch(() => 0).finally(() => {
    clearTimeout(timer);
    close();
  });
}
