/**
 * One client connection through the front door: requests framed one by one (see `framing.ts`),
 * each head rewritten with the peer address and forwarded to the HTTP server's Unix socket, the
 * answers piped back, and the connection's deadlines moved along: header, body, idle (only when
 * nothing is in flight) and write.
 *
 * @module
 */
import { PEER_HEADER } from "../security/client.ts";
import { ChunkedTracker, FramingError, headEnd, rewriteHead } from "./framing.ts";
import type { FrontDoorLimits, FrontDoorStats } from "./limits.ts";

/** What a connection needs from the door that accepted it. */
export interface ConnectionHost {
  readonly limits: FrontDoorLimits;
  readonly stats: FrontDoorStats;
  /** Unix socket of the HTTP server. */
  readonly upstreamPath: string;
  /** Closes the connection and everything linked to it, and updates the counts. */
  closeConnection(slot: Slot): void;
}

/** Bytes read from a socket at a time (one buffer per direction of a connection). */
export const READ_BUFFER = 8 * 1024;
const encoder = new TextEncoder();

/** A short complete response, then the connection is closed. */
export function closingResponse(status: number, reason: string, code: string, message: string) {
  const body = JSON.stringify({ error: { code, message } });
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${encoder.encode(body).length}\r\nconnection: close\r\n` +
      `cache-control: no-store\r\n\r\n${body}`,
  );
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};

/** One client connection's state; the door's sweeper closes it when `deadline` passes. */
export interface Slot {
  conn: Deno.Conn;
  peer: string;
  /** Milliseconds since the epoch, or 0 for none (a request is being answered). */
  deadline: number;
  /** Like `deadline`, for a write to the client in progress; 0 for none. */
  writeDeadline: number;
  closed: boolean;
  /**
   * Opened with the first complete head (to the HTTP server); for a TLS client's public slot,
   * the raw pipe to the internal TLS listener.
   */
  upstream: Deno.Conn | null;
  /** A complete request head came (evicting it would cut a client that talks). */
  talked: boolean;
  /** Counted in the caps (public connections; not the TLS side of a relay). */
  counted: boolean;
  /** The other half of a TLS relay: closing one closes both. */
  linked: Slot | null;
  /** A request was forwarded and no byte of its answer came back yet (no idle deadline). */
  waiting: boolean;
  /** A later request's head has begun (its header deadline runs). */
  headStarted: boolean;
}

/** Writes to the client under the write deadline (a client that stops reading is closed). */
async function toClient(host: ConnectionHost, slot: Slot, bytes: Uint8Array): Promise<void> {
  slot.writeDeadline = Date.now() + host.limits.writeTimeoutMs;
  try {
    let off = 0;
    while (off < bytes.length) off += await slot.conn.write(bytes.subarray(off));
  } finally {
    slot.writeDeadline = 0;
  }
}

/**
 * Serves one accepted connection until it closes: frames each request, forwards its rewritten
 * head and body to the HTTP server's socket (connected on the first request), and moves the
 * slot's deadlines along. A malformed head is answered 400 (431 when too large) and closed.
 */
export async function serveHttp(host: ConnectionHost, slot: Slot): Promise<void> {
  const buf = new Uint8Array(READ_BUFFER);
  let pending = new Uint8Array(0); // bytes read but not yet forwarded
  let mode: "head" | "length" | "chunked" = "head";
  let remaining = 0;
  let chunked = new ChunkedTracker();
  let closeAfter = false;
  let firstRequest = true;
  let pumping: Promise<void> = Promise.resolve();
  const isIdle = () => mode === "head" && pending.length === 0;

  const forward = async (bytes: Uint8Array) => {
    if (!slot.upstream) {
      slot.upstream = await Deno.connect({ transport: "unix", path: host.upstreamPath });
      if (slot.closed) slot.upstream.close();
      pumping = pump(host, slot, isIdle);
    }
    let off = 0;
    while (off < bytes.length) off += await slot.upstream.write(bytes.subarray(off));
  };
  const bodyDone = () => {
    mode = "head";
    slot.waiting = true;
    slot.deadline = 0;
  };

  while (!slot.closed) {
    if (mode === "head" && closeAfter) {
      // The client said this was its last request: let the answer finish (the server closes).
      slot.deadline = 0;
      await pumping;
      return;
    }
    if (mode === "head" && pending.length > 0) {
      let end: number;
      let head;
      try {
        end = headEnd(pending);
        head = end === -1 ? null : rewriteHead(pending.subarray(0, end), PEER_HEADER, slot.peer);
      } catch (e) {
        if (!(e instanceof FramingError)) throw e;
        await badRequest(host, slot, e);
        return;
      }
      if (!head) {
        // Part of a head: from its first byte it must complete within the header deadline.
        if (!firstRequest && !slot.headStarted) {
          slot.headStarted = true;
          slot.deadline = Date.now() + host.limits.headerTimeoutMs;
        }
      } else {
        pending = pending.slice(end);
        firstRequest = false;
        slot.talked = true;
        if (slot.linked) slot.linked.talked = true;
        slot.headStarted = false;
        closeAfter = head.close;
        await forward(head.bytes);
        if (head.body.kind === "length") {
          mode = "length";
          remaining = head.body.length;
          slot.deadline = Date.now() + host.limits.bodyTimeoutMs;
        } else if (head.body.kind === "chunked") {
          mode = "chunked";
          chunked = new ChunkedTracker();
          slot.deadline = Date.now() + host.limits.bodyTimeoutMs;
        } else {
          bodyDone();
        }
        continue;
      }
    } else if (mode === "length" && pending.length > 0) {
      const n = Math.min(remaining, pending.length);
      await forward(pending.subarray(0, n));
      pending = pending.slice(n);
      remaining -= n;
      if (remaining === 0) bodyDone();
      continue;
    } else if (mode === "chunked" && pending.length > 0) {
      let fed;
      try {
        fed = chunked.feed(pending);
      } catch (e) {
        if (!(e instanceof FramingError)) throw e;
        host.stats.badRequests++;
        return; // mid-body: no clean answer is possible, only closing
      }
      await forward(pending.subarray(0, fed.used));
      pending = pending.slice(fed.used);
      if (fed.done) bodyDone();
      continue;
    }
    const n = await slot.conn.read(buf);
    if (n === null) {
      // The client closed its side. If its answer has not begun, it may be a half-close that
      // still reads (`printf ... | nc`): let the answer come. Otherwise close at once, so that
      // a stream it was reading (SSE) is cancelled now rather than at its next heartbeat.
      if (slot.waiting) await pumping;
      return;
    }
    const merged = new Uint8Array(pending.length + n);
    merged.set(pending);
    merged.set(buf.subarray(0, n), pending.length);
    pending = merged;
  }
}

/** Answers a request the door will not frame, unless one was forwarded already; closes. */
async function badRequest(host: ConnectionHost, slot: Slot, e: FramingError): Promise<void> {
  host.stats.badRequests++;
  if (slot.upstream) return; // an answer may be mid-way on this connection: just close
  const code = e.status === 431 ? "head_too_large" : "bad_request";
  await toClient(
    host,
    slot,
    closingResponse(e.status, REASONS[e.status] ?? "Bad Request", code, e.message),
  ).catch(() => {});
}

/** Upstream → client; once nothing is in flight, each byte back restarts the idle deadline. */
async function pump(host: ConnectionHost, slot: Slot, isIdle: () => boolean): Promise<void> {
  const up = slot.upstream!;
  const buf = new Uint8Array(READ_BUFFER);
  try {
    while (!slot.closed) {
      const n = await up.read(buf);
      if (n === null) break;
      slot.waiting = false;
      await toClient(host, slot, buf.subarray(0, n));
      if (isIdle() && !slot.waiting) slot.deadline = Date.now() + host.limits.idleTimeoutMs;
    }
  } catch { /* either side went away */ }
  host.closeConnection(slot);
}
