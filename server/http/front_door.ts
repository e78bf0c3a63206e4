/**
 * The front door: blockboard's own accept loop in front of `Deno.serve`, because `Deno.serve`
 * (Deno 2.9.6) has no header or idle deadline (a connection that sends half a head stays open
 * for ever) and its accept loop dies on EMFILE, taking the process with it.
 *
 * It accepts TCP connections (TLS ones too), refuses a client over its connection cap with a short
 * 503; at the total cap (sized from the descriptor limit) the oldest connection that never sent a
 * complete head makes room, else the newcomer gets the 503. It gives each request head
 * {@link FrontDoorLimits.headerTimeoutMs} to arrive and each body
 * {@link FrontDoorLimits.bodyTimeoutMs}, closes kept-alive connections idle for
 * {@link FrontDoorLimits.idleTimeoutMs}, and pipes each request to the real HTTP server on a Unix
 * socket with the client address in {@link PEER_HEADER} (any copy the client sent is dropped).
 * The upstream socket is opened only once a complete head arrived, so an idle or half-open
 * connection costs one descriptor and a small buffer. Accept errors (EMFILE) pause the loop
 * briefly; they never end it. Under TLS the public socket stays plain TCP and is relayed to an
 * internal TLS listener (see `#tlsInner`), whose side then does all of the above.
 *
 * @module
 */
import { PEER_HEADER } from "../security/client.ts";
import { ChunkedTracker, FramingError, headEnd, rewriteHead } from "./framing.ts";

/** Deadlines and caps of the front door. */
export interface FrontDoorLimits {
  /** Time for a request head to arrive completely (from accept, or from its first byte). */
  headerTimeoutMs: number;
  /** Time for a request body to arrive completely once its head did. */
  bodyTimeoutMs: number;
  /** A kept-alive connection with nothing in flight is closed after this long. */
  idleTimeoutMs: number;
  /** A write to a client that does not read is abandoned (and the connection closed) after this. */
  writeTimeoutMs: number;
  /** Open connections per client address. */
  perClient: number;
  /** Open connections in all. */
  total: number;
}

/** Defaults (the total is replaced by one sized from the descriptor limit in `main.ts`). */
export const DEFAULT_LIMITS: FrontDoorLimits = {
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  writeTimeoutMs: 30_000,
  perClient: 32,
  total: 4096,
};

/** Descriptors one proxied connection holds: the client's, ours to upstream, upstream's own. */
export const FDS_PER_CONNECTION = 3;
/** Under TLS two more: the relay's both ends. */
export const FDS_PER_TLS_CONNECTION = 5;

/**
 * Total connection cap for a descriptor limit, keeping `reserve` for virsh pipes, files and the
 * database.
 */
export function totalForDescriptorLimit(limit: number, tls = false, reserve = 256): number {
  const per = tls ? FDS_PER_TLS_CONNECTION : FDS_PER_CONNECTION;
  return Math.max(16, Math.floor((limit - reserve) / per));
}

/** Counters, for the flood benchmark, tests and the log. */
export interface FrontDoorStats {
  accepted: number;
  refusedPerClient: number;
  refusedTotal: number;
  /** Connections that never sent a complete head, closed to admit a new one at the total cap. */
  evicted: number;
  /** Closed because a head, body, idle or write deadline passed. */
  timedOut: number;
  /** Requests refused because their framing was not accepted. */
  badRequests: number;
  /** accept() failures (EMFILE, ENFILE, ...), each followed by a short pause. */
  acceptErrors: number;
  /** Connections open now. */
  open: number;
}

/** Options of {@link FrontDoor}. */
export interface FrontDoorOptions {
  hostname: string;
  port: number;
  /** PEM certificate and key; TLS when set. */
  tls?: { cert: string; key: string };
  /** Unix socket of the HTTP server behind the door. */
  upstreamPath: string;
  limits?: Partial<FrontDoorLimits>;
  /** Called once listening. */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Where problems are reported (default console.error). */
  log?: (message: string) => void;
}

const READ_BUFFER = 8 * 1024;
const SWEEP_MS = 250;
const ACCEPT_PAUSE_MS = 100;
const encoder = new TextEncoder();

/** A short complete response, then the connection is closed. */
function closingResponse(status: number, reason: string, code: string, message: string) {
  const body = JSON.stringify({ error: { code, message } });
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${encoder.encode(body).length}\r\nconnection: close\r\n` +
      `cache-control: no-store\r\n\r\n${body}`,
  );
}

const REFUSED_PER_CLIENT = closingResponse(
  503,
  "Service Unavailable",
  "too_many_connections",
  "Too many connections from your address are open; close some and retry.",
);
const REFUSED_TOTAL = closingResponse(
  503,
  "Service Unavailable",
  "too_many_connections",
  "The server has too many open connections; retry in a few seconds.",
);
const REASONS: Record<number, string> = {
  400: "Bad Request",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};

/** One client connection's state; the sweeper closes it when `deadline` passes. */
interface Slot {
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

/** See the module doc. */
export class FrontDoor {
  readonly limits: FrontDoorLimits;
  readonly stats: FrontDoorStats = {
    accepted: 0,
    refusedPerClient: 0,
    refusedTotal: 0,
    evicted: 0,
    timedOut: 0,
    badRequests: 0,
    acceptErrors: 0,
    open: 0,
  };
  /** The address actually bound (port 0 resolves here). */
  readonly addr: { hostname: string; port: number };
  readonly #listener: Deno.Listener;
  /**
   * Under TLS, the internal listener that terminates it. The public socket is plain TCP and
   * relayed here, because closing a `Deno.TlsConn` whose handshake has not finished does not
   * close its socket (Deno 2.9.6): a client that never finishes the handshake would keep the
   * descriptor. Closing our plain relay ends that handshake for real.
   */
  readonly #tlsInner: Deno.TlsListener | null;
  /** Public slots waiting for their relay to be accepted, by the relay's local port. */
  readonly #relays = new Map<number, Slot>();
  readonly #relayWaiters = new Map<number, (slot: Slot) => void>();
  /** TLS sides of relays. */
  readonly #inner = new Set<Slot>();
  readonly #upstreamPath: string;
  /** Open connections by client address, oldest first. */
  readonly #perPeer = new Map<string, Set<Slot>>();
  readonly #slots = new Set<Slot>();
  readonly #log: (message: string) => void;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #tls: boolean;
  #closing = false;
  #loop: Promise<void>;
  #innerLoop: Promise<void> = Promise.resolve();
  #lastAcceptLog = 0;

  /**
   * Binds and starts accepting.
   * @throws {Deno.errors.AddrInUse} and the other errors of `Deno.listen`.
   */
  constructor(options: FrontDoorOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#upstreamPath = options.upstreamPath;
    this.#log = options.log ?? ((m) => console.error(m));
    this.#tls = options.tls !== undefined;
    this.#listener = Deno.listen({ hostname: options.hostname, port: options.port });
    this.#tlsInner = options.tls
      ? Deno.listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: options.tls.cert,
        key: options.tls.key,
        alpnProtocols: ["http/1.1"],
      })
      : null;
    const local = this.#listener.addr as Deno.NetAddr;
    this.addr = { hostname: local.hostname, port: local.port };
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#loop = this.#acceptLoop(this.#listener, (conn) => this.#admit(conn));
    if (this.#tlsInner) {
      this.#innerLoop = this.#acceptLoop(this.#tlsInner, (conn) => void this.#admitInner(conn));
    }
    options.onListen?.(this.addr);
  }

  /** Stops accepting new connections (open ones go on until they end or {@link closeAll}). */
  async stopAccepting(): Promise<void> {
    if (this.#closing) return await this.#loop;
    this.#closing = true;
    for (const l of [this.#listener, this.#tlsInner]) {
      try {
        l?.close();
      } catch { /* already closed */ }
    }
    await this.#loop;
    await this.#innerLoop;
  }

  /** Closes every open connection. */
  closeAll(): void {
    for (const slot of [...this.#slots, ...this.#inner]) this.#close(slot);
  }

  /** Stops accepting, closes everything and the sweeper. */
  async close(): Promise<void> {
    await this.stopAccepting();
    this.closeAll();
    clearInterval(this.#sweeper);
  }

  async #acceptLoop(listener: Deno.Listener, admit: (conn: Deno.Conn) => void): Promise<void> {
    while (!this.#closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#closing) break;
        // EMFILE/ENFILE and the like: the pending connection stays queued in the kernel; pause so
        // that finishing connections give descriptors back, then go on accepting.
        this.stats.acceptErrors++;
        const now = Date.now();
        if (now - this.#lastAcceptLog > 10_000) {
          this.#lastAcceptLog = now;
          this.#log(
            `blockboard: accepting a connection failed (${(e as Error).message}); retrying`,
          );
        }
        await new Promise((r) => setTimeout(r, ACCEPT_PAUSE_MS));
        continue;
      }
      admit(conn);
    }
  }

  #admit(conn: Deno.Conn): void {
    const peer = (conn.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const fromPeer = this.#perPeer.get(peer)?.size ?? 0;
    if (fromPeer >= this.limits.perClient) {
      this.stats.refusedPerClient++;
      this.#refuse(conn, REFUSED_PER_CLIENT);
      return;
    }
    if (this.stats.open >= this.limits.total && !this.#evictOne()) {
      this.stats.refusedTotal++;
      this.#refuse(conn, REFUSED_TOTAL);
      return;
    }
    this.stats.accepted++;
    this.stats.open++;
    const slot = this.#newSlot(conn, peer, true);
    this.#slots.add(slot);
    const mine = this.#perPeer.get(peer) ?? new Set<Slot>();
    mine.add(slot);
    this.#perPeer.set(peer, mine);
    const work = this.#tlsInner ? this.#relay(slot, this.#tlsInner) : this.#serve(slot);
    void work.catch(() => {}).finally(() => this.#close(slot));
  }

  #newSlot(conn: Deno.Conn, peer: string, counted: boolean): Slot {
    return {
      conn,
      peer,
      deadline: Date.now() + this.limits.headerTimeoutMs,
      writeDeadline: 0,
      closed: false,
      upstream: null,
      waiting: false,
      headStarted: false,
      talked: false,
      counted,
      linked: null,
    };
  }

  /** TLS: pipes the public connection's raw bytes to the internal TLS listener and back. */
  async #relay(slot: Slot, inner: Deno.TlsListener): Promise<void> {
    const port = (inner.addr as Deno.NetAddr).port;
    const pipe = await Deno.connect({ hostname: "127.0.0.1", port });
    slot.upstream = pipe;
    if (slot.closed) return pipe.close();
    const local = (pipe.localAddr as Deno.NetAddr).port;
    const waiter = this.#relayWaiters.get(local);
    if (waiter) waiter(slot);
    else this.#relays.set(local, slot);
    const copy = async (from: Deno.Conn, to: Deno.Conn) => {
      const buf = new Uint8Array(READ_BUFFER);
      try {
        while (!slot.closed) {
          const n = await from.read(buf);
          if (n === null) break;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch { /* either side went away */ }
    };
    // Either direction ending ends the relay (and, through `linked`, its TLS side).
    await Promise.race([copy(slot.conn, pipe), copy(pipe, slot.conn)]);
  }

  /**
   * A connection on the internal TLS listener: from one of our relays (found by its port; it
   * takes over the deadlines and serves HTTP with the public client's address) or, for a local
   * user who connected to it directly, an ordinary counted client.
   */
  async #admitInner(conn: Deno.Conn): Promise<void> {
    const port = (conn.remoteAddr as Deno.NetAddr).port;
    let outer = this.#relays.get(port);
    if (!outer) {
      // The relay's connect() may resolve just after this accept: wait for it briefly.
      outer = await new Promise<Slot | undefined>((resolve) => {
        const timer = setTimeout(() => {
          this.#relayWaiters.delete(port);
          resolve(undefined);
        }, 1000);
        this.#relayWaiters.set(port, (slot) => {
          clearTimeout(timer);
          this.#relayWaiters.delete(port);
          resolve(slot);
        });
      });
    }
    this.#relays.delete(port);
    if (!outer) return this.#admitDirect(conn);
    const slot = this.#newSlot(conn, outer.peer, false);
    slot.linked = outer;
    outer.linked = slot;
    if (outer.closed) return this.#close(slot);
    outer.deadline = 0; // the TLS side keeps the deadlines from here
    this.#inner.add(slot);
    void this.#serve(slot).catch(() => {}).finally(() => this.#close(slot));
  }

  /** A direct connection to the internal TLS listener, capped like any client. */
  #admitDirect(conn: Deno.Conn): void {
    const peer = (conn.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    if ((this.#perPeer.get(peer)?.size ?? 0) >= this.limits.perClient) {
      this.stats.refusedPerClient++;
      return this.#refuse(conn, REFUSED_PER_CLIENT);
    }
    this.stats.accepted++;
    this.stats.open++;
    const slot = this.#newSlot(conn, peer, true);
    this.#slots.add(slot);
    const mine = this.#perPeer.get(peer) ?? new Set<Slot>();
    mine.add(slot);
    this.#perPeer.set(peer, mine);
    void this.#serve(slot).catch(() => {}).finally(() => this.#close(slot));
  }

  /**
   * At the total cap, a new client displaces the oldest connection that never completed a
   * request head, taken from the address holding the most connections (what a slow-loris flood
   * from many addresses holds), so idle connections cannot fill the cap at the expense of
   * clients that talk, and a client with few connections is the last to lose one. False when no
   * connection is waiting for its first head.
   */
  #evictOne(): boolean {
    let biggest: Set<Slot> | undefined;
    for (const slots of this.#perPeer.values()) {
      if (!biggest || slots.size > biggest.size) biggest = slots;
    }
    // The biggest holder first; any address if all of its connections are talking.
    for (const slots of [biggest ?? new Set<Slot>(), this.#slots]) {
      for (const slot of slots) {
        if (!slot.talked) {
          this.stats.evicted++;
          this.#close(slot);
          return true;
        }
      }
    }
    return false;
  }

  /** Best effort: a plain-text client gets the 503 (it fits the socket buffer); then close. */
  #refuse(conn: Deno.Conn, response: Uint8Array): void {
    if (this.#tls) {
      // Writing would start a TLS handshake a flooding client may never finish.
      try {
        conn.close();
      } catch { /* gone */ }
      return;
    }
    const timer = setTimeout(() => {
      try {
        conn.close();
      } catch { /* gone */ }
    }, 1000);
    conn.write(response).catch(() => 0).finally(() => {
      clearTimeout(timer);
      try {
        conn.close();
      } catch { /* gone */ }
    });
  }

  #close(slot: Slot): void {
    if (slot.closed) return;
    slot.closed = true;
    if (slot.counted) {
      this.#slots.delete(slot);
      this.stats.open--;
      const mine = this.#perPeer.get(slot.peer);
      mine?.delete(slot);
      if (mine?.size === 0) this.#perPeer.delete(slot.peer);
    } else {
      this.#inner.delete(slot);
    }
    for (const c of [slot.conn, slot.upstream]) {
      try {
        c?.close();
      } catch { /* already closed */ }
    }
    // A TLS side whose handshake never finished keeps its socket until the relay closes.
    if (slot.linked) this.#close(slot.linked);
  }

  #sweep(): void {
    const now = Date.now();
    for (const slot of [...this.#slots, ...this.#inner]) {
      if (
        (slot.deadline !== 0 && now > slot.deadline) ||
        (slot.writeDeadline !== 0 && now > slot.writeDeadline)
      ) {
        this.stats.timedOut++;
        this.#close(slot);
      }
    }
  }

  /** Writes to the client under the write deadline (a client that stops reading is closed). */
  async #toClient(slot: Slot, bytes: Uint8Array): Promise<void> {
    slot.writeDeadline = Date.now() + this.limits.writeTimeoutMs;
    try {
      let off = 0;
      while (off < bytes.length) off += await slot.conn.write(bytes.subarray(off));
    } finally {
      slot.writeDeadline = 0;
    }
  }

  async #serve(slot: Slot): Promise<void> {
    const buf = new Uint8Array(READ_BUFFER);
    let pending = new Uint8Array(0); // bytes read but not yet forwarded
    let mode: "head" | "length" | "chunked" = "head";
    let remaining = 0;
    let chunked = new ChunkedTracker();
    let closeAfter = false;
    let firstRequest = true;
    let pump: Promise<void> = Promise.resolve();
    const isIdle = () => mode === "head" && pending.length === 0;

    const forward = async (bytes: Uint8Array) => {
      if (!slot.upstream) {
        slot.upstream = await Deno.connect({ transport: "unix", path: this.#upstreamPath });
        if (slot.closed) slot.upstream.close();
        pump = this.#pump(slot, isIdle);
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
        await pump;
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
          await this.#badRequest(slot, e);
          return;
        }
        if (!head) {
          // Part of a head: from its first byte it must complete within the header deadline.
          if (!firstRequest && !slot.headStarted) {
            slot.headStarted = true;
            slot.deadline = Date.now() + this.limits.headerTimeoutMs;
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
            slot.deadline = Date.now() + this.limits.bodyTimeoutMs;
          } else if (head.body.kind === "chunked") {
            mode = "chunked";
            chunked = new ChunkedTracker();
            slot.deadline = Date.now() + this.limits.bodyTimeoutMs;
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
          this.stats.badRequests++;
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
        if (slot.waiting) await pump;
        return;
      }
      const merged = new Uint8Array(pending.length + n);
      merged.set(pending);
      merged.set(buf.subarray(0, n), pending.length);
      pending = merged;
    }
  }

  /** Answers a request the door will not frame, unless one was forwarded already; closes. */
  async #badRequest(slot: Slot, e: FramingError): Promise<void> {
    this.stats.badRequests++;
    if (slot.upstream) return; // an answer may be mid-way on this connection: just close
    const code = e.status === 431 ? "head_too_large" : "bad_request";
    await this.#toClient(
      slot,
      closingResponse(e.status, REASONS[e.status] ?? "Bad Request", code, e.message),
    ).catch(() => {});
  }

  /** Upstream → client; once nothing is in flight, each byte back restarts the idle deadline. */
  async #pump(slot: Slot, isIdle: () => boolean): Promise<void> {
    const up = slot.upstream!;
    const buf = new Uint8Array(READ_BUFFER);
    try {
      while (!slot.closed) {
        const n = await up.read(buf);
        if (n === null) break;
        slot.waiting = false;
        await this.#toClient(slot, buf.subarray(0, n));
        if (isIdle() && !slot.waiting) slot.deadline = Date.now() + this.limits.idleTimeoutMs;
      }
    } catch { /* either side went away */ }
    this.#close(slot);
  }
}
