/**
 * Start-up policy for the listening address: open mode only on loopback, credentials required
 * anywhere else.
 *
 * @module
 */

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  if (bare === "localhost" || bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare);
  return v4 !== null && v4[1] === "127" && v4.slice(1).every((octet) => Number(octet) <= 255);
}

/** What the server may do given where it listens and whether credentials exist. */
export type ListenDecision =
  | { start: true; openMode: boolean }
  | { start: false; message: string };

/**
 * Decides whether to start. `hasCredentials` is true when at least one user or API token (stored
 * or `BLOCKBOARD_TOKEN`) exists. On loopback without credentials the server runs open (an
 * implicit admin, shown as a banner); anywhere else it refuses and says how to fix it.
 */
export function decideListen(listenHost: string, hasCredentials: boolean): ListenDecision {
  if (hasCredentials) return { start: true, openMode: false };
  if (isLoopbackHost(listenHost)) return { start: true, openMode: true };
  return {
    start: false,
    message: [
      `Refusing to listen on ${listenHost}: no users or API tokens exist, so anyone on the network`,
      "would be root on this hypervisor. Create an admin first:",
      "  deno task user add NAME --role admin [--data-dir DIR]",
      "or set BLOCKBOARD_TOKEN (at least 24 characters), or listen on 127.0.0.1 only.",
    ].join("\n"),
  };
}
