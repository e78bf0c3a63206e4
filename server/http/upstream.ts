/**
 * The HTTP server behind the front door: `Deno.serve` on a Unix socket in a fresh 0700 directory
 * (only this process's user can connect), handing the app the client address the door passed in
 * {@link PEER_HEADER} as `remoteAddr`, exactly where `Deno.serve` over TCP would have put it.
 *
 * @module
 */
import { frontDoorPeer } from "../security/client.ts";

/** What {@link serveUpstream} started. */
export interface Upstream {
  /** The socket the front door connects to. */
  path: string;
  server: Deno.HttpServer<Deno.UnixAddr>;
  /** Finishes in-flight responses (up to `graceMs`), then removes the socket directory. */
  shutdown(graceMs: number): Promise<void>;
}

/** The app's fetch, called with the env `Deno.serve` gives over TCP. */
export type AppFetch = (
  request: Request,
  env: { remoteAddr: { transport: "tcp"; hostname: string; port: number } },
) => Response | Promise<Response>;

/** Starts the server on a private socket. */
export async function serveUpstream(fetch: AppFetch): Promise<Upstream> {
  const dir = await Deno.makeTempDir({ prefix: "blockboard-http-" });
  await Deno.chmod(dir, 0o700);
  const path = `${dir}/http.sock`;
  const server = Deno.serve({ path, onListen: () => {} }, (request) =>
    fetch(request, {
      remoteAddr: { transport: "tcp", hostname: frontDoorPeer(request) ?? "unknown", port: 0 },
    }));
  return {
    path,
    server,
    async shutdown(graceMs: number) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Streams (SSE) never finish on their own: after the grace period they are cut.
      await Promise.race([
        server.shutdown(),
        new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
