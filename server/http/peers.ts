/**
 * The front door's counted connections: by client address (oldest first) for the per-client
 * cap, and the eviction rule at the total cap.
 *
 * @module
 */
import type { Slot } from "./connection.ts";

/** Counted connections (public ones; not the TLS side of a relay). */
export class PeerTable {
  /** Open connections by client address, oldest first. */
  readonly #perPeer = new Map<string, Set<Slot>>();
  readonly #slots = new Set<Slot>();

  /** Every counted connection, oldest first. */
  get all(): ReadonlySet<Slot> {
    return this.#slots;
  }

  /** How many connections `peer` holds. */
  countOf(peer: string): number {
    return this.#perPeer.get(peer)?.size ?? 0;
  }

  /** Counts a new connection. */
  add(slot: Slot): void {
    this.#slots.add(slot);
    const mine = this.#perPeer.get(slot.peer) ?? new Set<Slot>();
    mine.add(slot);
    this.#perPeer.set(slot.peer, mine);
  }

  /** Forgets a closed connection. */
  delete(slot: Slot): void {
    this.#slots.delete(slot);
    const mine = this.#perPeer.get(slot.peer);
    mine?.delete(slot);
    if (mine?.size === 0) this.#perPeer.delete(slot.peer);
  }

  /**
   * The connection to displace at the total cap: the oldest that never completed a request
   * head, taken from the address holding the most connections (what a slow-loris flood from
   * many addresses holds), so idle connections cannot fill the cap at the expense of clients
   * that talk, and a client with few connections is the last to lose one. Undefined when no
   * connection is waiting for its first head.
   */
  evictionCandidate(): Slot | undefined {
    let biggest: Set<Slot> | undefined;
    for (const slots of this.#perPeer.values()) {
      if (!biggest || slots.size > biggest.size) biggest = slots;
    }
    // The biggest holder first; any address if all of its connections are talking.
    for (const slots of [biggest ?? new Set<Slot>(), this.#slots]) {
      for (const slot of slots) if (!slot.talked) return slot;
    }
    return undefined;
  }
}
