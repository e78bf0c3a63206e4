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
 * internal TLS listener (see `#tlsInner`), whose side then does all of the above. This file
 * admits, caps, evicts, relays and sweeps; one connection's requests are handled in
 * `connection.ts`, the numbers live in `limits.ts`, the per-client table and the eviction rule
 * in `peers.ts`, the 503 answers in `refuse.ts`.
 *
 * About 320 lines on purpose: accepting, the caps, the TLS relay and the sweeper all change the
 * same slot sets and counters under one set of invariants (every counted slot is in the peer
 * table exactly once; a relay's two halves close together), which are easier to check in one
 * class than across modules.
 *
 * @module
 */
import { type ConnectionHost, READ_BUFFER, serveHttp, type Slot } from "./connection.ts";
import { DEFAULT_LIMITS, type FrontDoorLimits, type FrontDoorStats } from "./limits.ts";
import { PeerTable } from "./peers.ts";
import { refuseConnection, REFUSED_PER_CLIENT, REFUSED_TOTAL } from "./refuse.ts";

export {
  DEFAULT_LIMITS,
  FDS_PER_CONNECTION,
  FDS_PER_TLS_CONNECTION,
  type FrontDoorLimits,
  type FrontDoorStats,
  totalForDescriptorLimit,
} from "./limits.ts";

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

const SWEEP_MS = 250;
const ACCEPT_PAUSE_MS = 100;

/** See the module doc. */
export class FrontDoor implements ConnectionHost {
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
  /** Unix socket of the HTTP server behind the door. */
  readonly upstreamPath: string;
  /** Counted connections, by client address. */
  readonly #peers = new PeerTable();
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
    this.upstreamPath = options.upstreamPath;
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
    for (const slot of [...this.#peers.all, ...this.#inner]) this.closeConnection(slot);
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
    if (this.#peers.countOf(peer) >= this.limits.perClient) {
      this.stats.refusedPerClient++;
      return refuseConnection(conn, REFUSED_PER_CLIENT, this.#tls);
    }
    if (this.stats.open >= this.limits.total && !this.#evictOne()) {
      this.stats.refusedTotal++;
      return refuseConnection(conn, REFUSED_TOTAL, this.#tls);
    }
    this.stats.accepted++;
    this.stats.open++;
    const slot = this.#newSlot(conn, peer, true);
    this.#peers.add(slot);
    const work = this.#tlsInner ? this.#relay(slot, this.#tlsInner) : serveHttp(this, slot);
    void work.catch(() => {}).finally(() => this.closeConnection(slot));
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
    if (outer.closed) return this.closeConnection(slot);
    outer.deadline = 0; // the TLS side keeps the deadlines from here
    this.#inner.add(slot);
    void serveHttp(this, slot).catch(() => {}).finally(() => this.closeConnection(slot));
  }

  /** A direct connection to the internal TLS listener, capped like any client. */
  #admitDirect(conn: Deno.Conn): void {
    const peer = (conn.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    if (this.#peers.countOf(peer) >= this.limits.perClient) {
      this.stats.refusedPerClient++;
      return refuseConnection(conn, REFUSED_PER_CLIENT, this.#tls);
    }
    this.stats.accepted++;
    this.stats.open++;
    const slot = this.#newSlot(conn, peer, true);
    this.#peers.add(slot);
    void serveHttp(this, slot).catch(() => {}).finally(() => this.closeConnection(slot));
  }

  /** At the total cap, displaces the connection `PeerTable` picks; false when there is none. */
  #evictOne(): boolean {
    const slot = this.#peers.evictionCandidate();
    if (!slot) return false;
    this.stats.evicted++;
    this.closeConnection(slot);
    return true;
  }

  /** Closes one connection (and its TLS other half) and updates the counts. */
  closeConnection(slot: Slot): void {
    if (slot.closed) return;
    slot.closed = true;
    if (slot.counted) {
      this.#peers.delete(slot);
      this.stats.open--;
    } else {
      this.#inner.delete(slot);
    }
    for (const c of [slot.conn, slot.upstream]) {
      try {
        c?.close();
      } catch { /* already closed */ }
    }
    // A TLS side whose handshake never finished keeps its socket until the relay closes.
    if (slot.linked) this.closeConnection(slot.linked);
  }

  #sweep(): void {
    const now = Date.now();
    for (const slot of [...this.#peers.all, ...this.#inner]) {
      if (
        (slot.deadline !== 0 && now > slot.deadline) ||
        (slot.writeDeadline !== 0 && now > slot.writeDeadline)
      ) {
        this.stats.timedOut++;
        this.closeConnection(slot);
      }
    }
  }
}
