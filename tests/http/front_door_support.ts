/**
 * Helpers for front-door tests: a door with a small echo app behind it, raw connections, and a
 * plain HTTP/1.1 request from another loopback address (`node:net` can bind the source address,
 * `Deno.connect` cannot).
 *
 * @module
 */
import net from "node:net";
import { FrontDoor, type FrontDoorLimits } from "../../server/http/front_door.ts";
import { type AppFetch, serveUpstream } from "../../server/http/upstream.ts";

/** Starts an echo app (peer, method, path, body) behind a door on a free port. */
export async function echoDoor(limits: Partial<FrontDoorLimits> = {}, fetch?: AppFetch) {
  const upstream = await serveUpstream(
    fetch ?? (async (req, env) => {
      const body = req.body ? await req.text() : "";
      return Response.json({
        peer: env.remoteAddr.hostname,
        method: req.method,
        path: new URL(req.url).pathname,
        body,
        peerHeader: req.headers.get("x-blockboard-peer"),
      });
    }),
  );
  const door = new FrontDoor({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: upstream.path,
    limits,
    log: () => {},
  });
  return {
    door,
    port: door.addr.port,
    async close() {
      await door.close();
      await upstream.shutdown(1000);
    },
  };
}

/** Reads from `conn` until it closes or `ms` pass; returns the text and whether it closed. */
export async function readAll(
  conn: Deno.Conn,
  ms = 2000,
): Promise<{ text: string; closed: boolean }> {
  const buf = new Uint8Array(64 * 1024);
  let text = "";
  const decoder = new TextDecoder();
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, ms);
  let closed = false;
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      text += decoder.decode(buf.subarray(0, n));
    }
  } catch { /* our timer closed it */ }
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  return { text, closed };
}

/** Sends raw bytes on a new connection and reads until the server closes (or `ms`). */
export async function raw(port: number, request: string, ms = 2000) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(request));
  return await readAll(conn, ms);
}

/**
 * `GET path` with `Connection: close` from `localAddress` (another 127.0.0.0/8 address);
 * resolves with the status (0 when the connection failed) and the milliseconds it took.
 */
export function getFrom(
  localAddress: string,
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    let data = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, ms: performance.now() - started, body: data.split("\r\n\r\n")[1] ?? "" });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on("connect", () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Connection: close\r\n\r\n`,
      );
    });
    socket.on("data", (chunk: Uint8Array) => data += new TextDecoder().decode(chunk));
    socket.on("close", done);
    socket.on("error", done);
  });
}

/** An idle connection from `localAddress` that sends nothing; `destroy()` it at the end. */
export function holdFrom(localAddress: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    socket.on("connect", () => resolve(socket));
    socket.on("error", reject);
  });
}
