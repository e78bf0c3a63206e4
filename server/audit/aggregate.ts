/**
 * Folds repeated refusals into one audit row each: the same caller, client, action, result,
 * message and domain within a window become one row with a count and first/last time. A flood of
 * refused requests from one client thus costs one row per kind of refusal per window instead of
 * one row per request. Pure: time comes in as an argument, nothing is written here.
 *
 * @module
 */
import { ipv6Prefix64 } from "../auth/ratelimit.ts";

/** The fields of a refusal that decide which row it joins. */
export interface RefusalFields {
  user: string;
  role: string;
  client: string;
  action: string;
  result: "refused" | "failed";
  message: string;
  domain: string | null;
}

/** One row to write: a refusal seen `count` times between `first` and `last`. */
export interface RefusalGroup extends RefusalFields {
  first: number;
  last: number;
  count: number;
}

/** Options of {@link RefusalAggregator}. */
export interface AggregatorOptions {
  /** How long a row keeps absorbing equal refusals after its first one (default 60 s). */
  windowMs?: number;
  /**
   * Kinds of refusal one client (an IPv6 /64 counts as one) may open per window; beyond that its
   * refusals share one `(various)` row, so random paths cannot multiply the rows (default 16).
   */
  maxKindsPerClient?: number;
  /** Rows held in memory before the owner must write them all (default 500). */
  maxGroups?: number;
}

/** Action of the row that collects a client's refusals beyond its kinds. */
export const VARIOUS_ACTION = "(various)";

/** Collects refusals into groups until they are taken for writing. */
export class RefusalAggregator {
  readonly windowMs: number;
  readonly #maxKinds: number;
  readonly #maxGroups: number;
  /** Open groups by key; insertion order is opening order. */
  readonly #open = new Map<string, RefusalGroup>();
  /** Open groups per client bucket. */
  readonly #kinds = new Map<string, number>();
  /** Groups whose window ended while still in memory. */
  #closed: RefusalGroup[] = [];

  constructor(options: AggregatorOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.#maxKinds = options.maxKindsPerClient ?? 16;
    this.#maxGroups = options.maxGroups ?? 500;
  }

  /** Rows held (open and closed). */
  get size(): number {
    return this.#open.size + this.#closed.length;
  }

  /** Adds one refusal at `now`. Returns true when the buffer is full and must be written now. */
  add(fields: RefusalFields, now: number): boolean {
    const bucket = ipv6Prefix64(fields.client) ?? fields.client;
    let key = groupKey(fields);
    let group = this.#current(key, now);
    if (!group && (this.#kinds.get(bucket) ?? 0) >= this.#maxKinds) {
      key = JSON.stringify(["various", bucket, fields.result]);
      group = this.#current(key, now);
      fields = {
        ...fields,
        client: bucket,
        action: VARIOUS_ACTION,
        domain: null,
        message: `more than ${this.#maxKinds} kinds of refusal from this client within ` +
          `${Math.round(this.windowMs / 1000)} s; first: ${fields.action} ${fields.message}`
            .slice(0, 2000),
      };
    }
    if (group) {
      group.count++;
      group.last = now;
    } else {
      this.#open.set(key, { ...fields, first: now, last: now, count: 1 });
      this.#kinds.set(bucket, (this.#kinds.get(bucket) ?? 0) + 1);
    }
    return this.size >= this.#maxGroups;
  }

  /** Takes the groups whose window has ended by `now` (all of them with `all`). */
  take(now: number, all = false): RefusalGroup[] {
    for (const [key, group] of this.#open) {
      if (all || now - group.first >= this.windowMs) this.#close(key, group);
    }
    const taken = this.#closed;
    this.#closed = [];
    return taken;
  }

  /**
   * Returns taken groups that could not be written, to be taken again. Beyond ten times the
   * buffer size the oldest are dropped, so a broken database cannot exhaust memory.
   */
  putBack(groups: RefusalGroup[]): void {
    this.#closed = [...groups, ...this.#closed].slice(-10 * this.#maxGroups);
  }

  /** The open group of `key` if its window still runs; closes it otherwise. */
  #current(key: string, now: number): RefusalGroup | undefined {
    const group = this.#open.get(key);
    if (!group) return undefined;
    if (now - group.first < this.windowMs) return group;
    this.#close(key, group);
    return undefined;
  }

  #close(key: string, group: RefusalGroup): void {
    this.#open.delete(key);
    this.#closed.push(group);
    const bucket = group.action === VARIOUS_ACTION
      ? group.client
      : ipv6Prefix64(group.client) ?? group.client;
    const left = (this.#kinds.get(bucket) ?? 1) - 1;
    if (left > 0) this.#kinds.set(bucket, left);
    else this.#kinds.delete(bucket);
  }
}

function groupKey(f: RefusalFields): string {
  return JSON.stringify([f.user, f.role, f.client, f.action, f.result, f.message, f.domain]);
}
