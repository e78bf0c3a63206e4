/**
 * The front door's deadlines and caps, and the total connection cap that fits a descriptor limit.
 *
 * @module
 */

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
