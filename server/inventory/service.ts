/**
 * The inventory (domains, disks, backing chains) as one snapshot kept in memory: built from
 * `list`, `list --persistent`, one bulk `domstats --state --block --backing` and one `dumpxml` per
 * domain, then kept up to date by events and a cheap periodic refresh rather than rebuilt per
 * request, so page views and API reads start no virsh process once it is warm.
 *
 * - An event line (the job monitor's `virsh event` stream), or a QEMU job the domain ran (a
 *   disk-only snapshot sends no libvirt event), marks the domain: its XML is read again before the
 *   next answer that needs it; a lifecycle event that adds, removes, renames or stops a domain
 *   also re-reads the listing.
 * - A read of a snapshot older than `refreshMs` is answered at once and starts one refresh in the
 *   background: `list` + bulk `domstats`, and `dumpxml` only for domains that are new or whose
 *   state or disk paths changed (changes made without an event: sizes, a chain changed while
 *   blockboard was not listening).
 * - {@link Inventory.invalidate} after an operation re-reads one domain (or all).
 * - `maxAgeMs` (tests) makes every read of an older snapshot wait for a full rebuild.
 *
 * @module
 */
import type { VirshRunner } from "../virsh/runner.ts";
import {
  domStatsInventoryArgs,
  dumpXmlArgs,
  listAllArgs,
  listPersistentArgs,
} from "../virsh/commands.ts";
import { parseListUuidName, parseUuidList } from "../virsh/parse/list.ts";
import type { ListedDomain } from "../virsh/parse/list.ts";
import { type DomainStats, parseDomstats } from "../virsh/parse/domstats.ts";
import { type DomainXml, parseDomainXml } from "../virsh/parse/domxml.ts";
import { parseEventLine } from "../virsh/parse/event.ts";
import { VirshError } from "../virsh/errors.ts";
import type { Domain } from "./model.ts";
import { buildDomain } from "./build.ts";
import type { Job } from "../jobs/model.ts";

/** Looks up the job on a disk; supplied by the job monitor. */
export type JobLookup = (uuid: string, target: string) => Job | null;

/** Options for {@link Inventory}. */
export interface InventoryOptions {
  /** Fills `disk.job`. */
  jobLookup?: JobLookup;
  /**
   * A read of a snapshot older than this waits for a full rebuild (tests that change the host
   * behind blockboard's back pass 0). Default: never; events and refreshes keep it current.
   */
  cacheMs?: number;
  /**
   * A read of a snapshot older than this starts a background refresh (default 30 s: events
   * bring most changes at once; this catches sizes and changes made while nothing listened, at a
   * fixed cost of 4 virsh calls per period whatever the load).
   */
  refreshMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** Everything one rebuild read, per domain. */
interface Snapshot {
  at: number;
  listed: ListedDomain[];
  persistent: Set<string>;
  stats: Map<string, DomainStats>;
  xml: Map<string, DomainXml>;
}

/** What must be read again at the next refresh. */
interface Dirty {
  all: boolean;
  listing: boolean;
  uuids: Set<string>;
  /** Names from events that the snapshot does not know yet (a domain defined elsewhere). */
  names: Set<string>;
}

/**
 * Lifecycle events after which the listing (which domains exist, their names) is read again; a
 * transient domain that stops is gone.
 */
const LISTING_EVENTS = new Set(["Defined", "Undefined", "Renamed", "Stopped"]);

const clean = (): Dirty => ({ all: false, listing: false, uuids: new Set(), names: new Set() });

/** Reads domains from libvirt, keeps them, and answers from memory. */
export class Inventory {
  readonly #runner: VirshRunner;
  readonly #jobLookup: JobLookup;
  readonly #maxAgeMs: number;
  readonly #refreshMs: number;
  readonly #now: () => number;
  #snapshot: Snapshot | null = null;
  /** Goes up whenever a rebuild finds a domain's disks or chains changed (or it came or went). */
  #generation = 0;
  /** The generation at which each domain last changed (UUID → generation). */
  readonly #changedAt = new Map<string, number>();
  #dirty: Dirty = { ...clean(), all: true };
  #refreshing: Promise<Snapshot> | null = null;

  constructor(runner: VirshRunner, options: InventoryOptions = {}) {
    this.#runner = runner;
    this.#jobLookup = options.jobLookup ?? (() => null);
    this.#maxAgeMs = options.cacheMs ?? Infinity;
    this.#refreshMs = options.refreshMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** Marks one domain (its XML and listing) or, without a UUID, everything as out of date. */
  invalidate(uuid?: string): void {
    if (uuid === undefined) this.#dirty.all = true;
    else {
      this.#dirty.uuids.add(uuid);
      this.#dirty.listing = true;
    }
  }

  /**
   * Takes one line of `virsh event --all --loop`: the domain it names is read again before the
   * next answer (a lifecycle event also re-reads the listing: start, stop, define, undefine).
   */
  noteEventLine(line: string): void {
    const known = this.#snapshot?.listed.map((d) => d.name);
    const event = parseEventLine(line, known);
    if (!event || event.domain === null) return;
    this.noteDomainChanged(event.domain);
    // Only these change which domains exist or what they are called; a start or stop changes
    // the domain's own state and XML, read again with it.
    if (event.kind === "lifecycle" && LISTING_EVENTS.has(event.event)) this.#dirty.listing = true;
  }

  /** The domain named `name` changed (an event, or a QEMU job it ran): read it again. */
  noteDomainChanged(name: string): void {
    const listed = this.#snapshot?.listed.find((d) => d.name === name);
    if (listed) this.#dirty.uuids.add(listed.uuid);
    else {
      this.#dirty.names.add(name);
      this.#dirty.listing = true;
    }
  }

  /** Every domain with its disks and chains, sorted by name. */
  async listDomains(): Promise<Domain[]> {
    const snap = await this.#current("all");
    return snap.listed.flatMap((d) => {
      const domain = domainOf(snap, d);
      return domain ? [this.#withJobs(domain)] : [];
    }).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Resolves an exact domain name (or, failing that, a UUID) to the listed domain. */
  async resolve(nameOrUuid: string): Promise<ListedDomain | null> {
    const { listed } = await this.#current("listing");
    return listed.find((d) => d.name === nameOrUuid) ??
      listed.find((d) => d.uuid === nameOrUuid.toLowerCase()) ?? null;
  }

  /**
   * {@link resolve}, for polled reads where a name a few seconds old is harmless; the snapshot
   * already answers from memory, so this is the same call (kept for its callers' intent).
   */
  resolveCached(nameOrUuid: string, _maxAgeMs: number): Promise<ListedDomain | null> {
    return this.resolve(nameOrUuid);
  }

  /** One domain by exact name (or UUID), or null when libvirt has none. */
  async getDomain(nameOrUuid: string): Promise<Domain | null> {
    const listed = await this.resolve(nameOrUuid);
    if (!listed) return null;
    const domain = domainOf(await this.#current({ uuid: listed.uuid }), listed);
    return domain ? this.#withJobs(domain) : null;
  }

  /** See {@link chainChangesSince}: the generation the snapshot is at. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Domains whose disks or chains changed since `generation` (an open page redraws them). It
   * reads memory, except when an event marked the snapshot out of date: then it refreshes first
   * (one refresh per change, shared by every page asking at once, never one per page). Before any
   * snapshot exists it reports nothing. `removed` are UUIDs no longer listed.
   */
  async chainChangesSince(
    generation: number,
  ): Promise<{ generation: number; domains: Domain[]; removed: string[] }> {
    if (!this.#snapshot) return { generation: this.#generation, domains: [], removed: [] };
    const snap = isDirty(this.#dirty) ? await this.#refresh() : this.#snapshot;
    const changed = [...this.#changedAt].filter(([, at]) => at > generation).map(([uuid]) => uuid);
    const domains: Domain[] = [];
    const removed: string[] = [];
    for (const uuid of changed) {
      const listed = snap.listed.find((d) => d.uuid === uuid);
      const domain = listed ? domainOf(snap, listed) : null;
      if (domain) domains.push(this.#withJobs(domain));
      else if (!listed) removed.push(uuid);
    }
    return { generation: this.#generation, domains, removed };
  }

  /**
   * The snapshot to answer from, rebuilt first when what the read needs is known to be out of
   * date: the listing (names ↔ UUIDs), one domain, or everything. A read of another domain does
   * not wait for a domain an event just marked.
   */
  async #current(need: "listing" | "all" | { uuid: string }): Promise<Snapshot> {
    const snap = this.#snapshot;
    const d = this.#dirty;
    const age = snap ? this.#now() - snap.at : Infinity;
    if (!snap || age >= this.#maxAgeMs) {
      this.#dirty.all = true;
      return await this.#refresh();
    }
    const listingStale = d.all || d.listing || d.names.size > 0;
    const stale = need === "listing"
      ? listingStale
      : need === "all"
      ? isDirty(d)
      : listingStale || d.uuids.has(need.uuid);
    if (stale) return await this.#refresh();
    if (age > this.#refreshMs || isDirty(d)) {
      this.#refresh().catch(() => {/* the next read retries */});
    }
    return snap;
  }

  /** One refresh at a time; a read during a refresh waits for it (and a second one if needed). */
  async #refresh(): Promise<Snapshot> {
    while (this.#refreshing) await this.#refreshing.catch(() => {});
    const dirty = this.#dirty;
    if (this.#snapshot && !isDirty(dirty) && this.#now() - this.#snapshot.at <= this.#refreshMs) {
      return this.#snapshot;
    }
    this.#dirty = clean();
    const running = this.#rebuild(this.#snapshot, dirty);
    this.#refreshing = running;
    try {
      const before = this.#snapshot;
      this.#snapshot = await running;
      this.#noteChanges(before, this.#snapshot);
      return this.#snapshot;
    } catch (e) {
      // Nothing was learnt: what was out of date still is.
      this.#dirty = merge(this.#dirty, dirty);
      throw e;
    } finally {
      this.#refreshing = null;
    }
  }

  /** Bumps the generation for every domain whose disks or chains differ between snapshots. */
  #noteChanges(before: Snapshot | null, after: Snapshot): void {
    if (!before) return; // the first snapshot is what every page starts from
    const uuids = new Set([...before.xml.keys(), ...after.xml.keys()]);
    for (const uuid of uuids) {
      if (chainsOf(before.xml.get(uuid)) !== chainsOf(after.xml.get(uuid))) {
        this.#changedAt.set(uuid, ++this.#generation);
      }
    }
  }

  async #rebuild(previous: Snapshot | null, dirty: Dirty): Promise<Snapshot> {
    const at = this.#now();
    const [listOut, persistentOut, statsOut] = await Promise.all([
      this.#runner.run(listAllArgs()),
      this.#runner.run(listPersistentArgs()),
      this.#runner.run(domStatsInventoryArgs()),
    ]);
    const listed = parseListUuidName(listOut.stdout);
    const stats = new Map(
      parseDomstats(statsOut.stdout, listed.map((d) => d.name)).map((s) => [s.name, s]),
    );
    const xml = new Map<string, DomainXml>();
    const reread: ListedDomain[] = [];
    for (const d of listed) {
      const old = previous?.xml.get(d.uuid);
      const before = previous?.listed.find((p) => p.uuid === d.uuid);
      const stale = dirty.all || !old || !before || dirty.uuids.has(d.uuid) ||
        dirty.names.has(d.name) || before.name !== d.name ||
        signature(previous!.stats.get(before.name)) !== signature(stats.get(d.name));
      if (stale) reread.push(d);
      else xml.set(d.uuid, old);
    }
    const read = await Promise.all(
      reread.map((d) => this.#dumpXml(d.uuid).then((x) => x, (e: unknown) => e)),
    );
    const gone = new Set<string>();
    reread.forEach((d, i) => {
      const x = read[i];
      if (!(x instanceof Error || x instanceof VirshError)) {
        xml.set(d.uuid, x as DomainXml);
        return;
      }
      // A domain undefined between `list` and `dumpxml` is simply gone. Any other failure (a
      // deadline, a lock held by a job starting) keeps what was known and tries again next time.
      if (x instanceof VirshError && x.kind === "not-found") gone.add(d.uuid);
      else {
        const old = previous?.xml.get(d.uuid);
        if (old) xml.set(d.uuid, old);
        this.#dirty.uuids.add(d.uuid);
      }
    });
    return {
      at,
      // Names resolve even while a domain's XML could not be read; pages skip it until it is.
      listed: listed.filter((d) => !gone.has(d.uuid)),
      persistent: new Set(parseUuidList(persistentOut.stdout)),
      stats,
      xml,
    };
  }

  async #dumpXml(uuid: string): Promise<DomainXml> {
    const out = await this.#runner.run(dumpXmlArgs(uuid));
    return parseDomainXml(out.stdout);
  }

  #withJobs(domain: Domain): Domain {
    return {
      ...domain,
      disks: domain.disks.map((disk) => ({
        ...disk,
        job: this.#jobLookup(domain.uuid, disk.target) ?? null,
      })),
    };
  }
}

function isDirty(d: Dirty): boolean {
  return d.all || d.listing || d.uuids.size > 0 || d.names.size > 0;
}

function merge(a: Dirty, b: Dirty): Dirty {
  return {
    all: a.all || b.all,
    listing: a.listing || b.listing,
    uuids: new Set([...a.uuids, ...b.uuids]),
    names: new Set([...a.names, ...b.names]),
  };
}

/**
 * What in a domain's stats says its XML may have changed: the run state and every disk layer's
 * name, path and index (a pivot, pull, commit or hot-plug changes these; sizes do not).
 */
function signature(stats: DomainStats | undefined): string {
  if (!stats) return "";
  return JSON.stringify([stats.state, stats.blocks.map((b) => [b.name, b.path, b.backingIndex])]);
}

/** Every disk's target and chain (paths and formats) as one comparable string. */
function chainsOf(xml: DomainXml | undefined): string {
  if (!xml) return "";
  return JSON.stringify(xml.disks.map((d) => [d.target, d.chain.map((l) => [l.path, l.format])]));
}

function domainOf(snap: Snapshot, d: ListedDomain): Domain | null {
  const xml = snap.xml.get(d.uuid);
  if (!xml) return null;
  return buildDomain({
    listed: d,
    persistent: snap.persistent.has(d.uuid),
    stats: snap.stats.get(d.name) ?? null,
    xml,
  });
}
