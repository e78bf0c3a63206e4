/**
 * Builds the inventory (domains, disks, backing chains) from a handful of virsh calls: one
 * `list`, one `list --persistent`, one bulk `domstats --state --block --backing` and one
 * `dumpxml` per domain — never one call per layer.
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
import { type BlockStat, type DomainStats, parseDomstats } from "../virsh/parse/domstats.ts";
import { type DomainXml, parseDomainXml, type XmlDisk } from "../virsh/parse/domxml.ts";
import { type Disk, type Domain, domainStateName, type Layer } from "./model.ts";
import type { Job } from "../jobs/model.ts";

/** Looks up the job on a disk; supplied by the job monitor. */
export type JobLookup = (uuid: string, target: string) => Job | null;

/** Options for {@link Inventory}. */
export interface InventoryOptions {
  /** Fills `disk.job`. */
  jobLookup?: JobLookup;
  /** Reuse a result younger than this many milliseconds (bursts of page loads). */
  cacheMs?: number;
}

/** Reads domains from libvirt. */
export class Inventory {
  readonly #runner: VirshRunner;
  readonly #jobLookup: JobLookup;
  readonly #cacheMs: number;
  #cached: { at: number; domains: Promise<Domain[]> } | null = null;
  readonly #names = new Map<string, { at: number; domain: ListedDomain }>();

  constructor(runner: VirshRunner, options: InventoryOptions = {}) {
    this.#runner = runner;
    this.#jobLookup = options.jobLookup ?? (() => null);
    this.#cacheMs = options.cacheMs ?? 500;
  }

  /** Forgets the cached listing (after an operation changed something). */
  invalidate(): void {
    this.#cached = null;
  }

  /** Every domain with its disks and chains, sorted by name. */
  listDomains(): Promise<Domain[]> {
    const now = Date.now();
    if (this.#cached && now - this.#cached.at < this.#cacheMs) {
      return this.#cached.domains.then((ds) => ds.map((d) => this.#withJobs(d)));
    }
    const domains = this.#load();
    this.#cached = { at: now, domains };
    domains.catch(() => {
      if (this.#cached?.domains === domains) this.#cached = null;
    });
    return domains.then((ds) => ds.map((d) => this.#withJobs(d)));
  }

  /** Domains as `virsh list` names them, without chains: cheap name → UUID resolution. */
  async listNames(): Promise<ListedDomain[]> {
    const out = await this.#runner.run(listAllArgs());
    return parseListUuidName(out.stdout);
  }

  /** Resolves an exact domain name (or, failing that, a UUID) to the listed domain. */
  async resolve(nameOrUuid: string): Promise<ListedDomain | null> {
    const listed = await this.listNames();
    return listed.find((d) => d.name === nameOrUuid) ??
      listed.find((d) => d.uuid === nameOrUuid.toLowerCase()) ?? null;
  }

  /**
   * Like {@link resolve} but answered from the last listing when it is recent enough (for
   * displaying a name on a polled fragment, where a stale name is harmless).
   */
  async resolveCached(nameOrUuid: string, maxAgeMs: number): Promise<ListedDomain | null> {
    const hit = this.#names.get(nameOrUuid);
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.domain;
    const found = await this.resolve(nameOrUuid);
    if (found) this.#names.set(nameOrUuid, { at: Date.now(), domain: found });
    return found;
  }

  /** One domain by exact name (or UUID), or null when libvirt has none. */
  async getDomain(nameOrUuid: string): Promise<Domain | null> {
    const listed = await this.resolve(nameOrUuid);
    if (!listed) return null;
    const [persistent, stats, xml] = await Promise.all([
      this.#persistentUuids(),
      this.#runner.run(domStatsInventoryArgs(listed.uuid))
        .then((o) => parseDomstats(o.stdout, [listed.name])),
      this.#dumpXml(listed.uuid),
    ]);
    return this.#withJobs(
      buildDomain({
        listed,
        persistent: persistent.has(listed.uuid),
        stats: stats[0] ?? null,
        xml,
      }),
    );
  }

  async #load(): Promise<Domain[]> {
    const listed = await this.listNames();
    if (listed.length === 0) return [];
    const [persistent, statsOut] = await Promise.all([
      this.#persistentUuids(),
      this.#runner.run(domStatsInventoryArgs()),
    ]);
    const stats = parseDomstats(statsOut.stdout, listed.map((d) => d.name));
    const statsByName = new Map(stats.map((s) => [s.name, s]));
    const xmls = await Promise.all(
      listed.map((d) => this.#dumpXml(d.uuid).catch(() => null)),
    );
    const domains: Domain[] = [];
    listed.forEach((d, i) => {
      // A domain undefined between `list` and `dumpxml` is simply gone.
      const xml = xmls[i];
      if (xml) {
        domains.push(
          buildDomain({
            listed: d,
            persistent: persistent.has(d.uuid),
            stats: statsByName.get(d.name) ?? null,
            xml,
          }),
        );
      }
    });
    return domains.sort((a, b) => a.name.localeCompare(b.name));
  }

  async #persistentUuids(): Promise<Set<string>> {
    const out = await this.#runner.run(listPersistentArgs());
    return new Set(parseUuidList(out.stdout));
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

/** What {@link buildDomain} merges for one domain. */
interface DomainSources {
  /** The domain as `list` names it. */
  listed: ListedDomain;
  /** Whether `list --persistent` named it. */
  persistent: boolean;
  /** Its bulk `domstats` record; null when domstats had none. */
  stats: DomainStats | null;
  /** Its parsed live XML. */
  xml: DomainXml;
}

/** Merges list, persistence, domstats and XML into one {@link Domain}. Pure. */
function buildDomain({ listed, persistent, stats, xml }: DomainSources): Domain {
  return {
    name: listed.name,
    uuid: listed.uuid,
    state: domainStateName(stats?.state ?? null),
    persistent,
    disks: xml.disks.map((d) => buildDisk(d, stats?.blocks ?? [])),
  };
}

/** One disk: XML layers with sizes from the matching domstats blocks. Pure. */
function buildDisk(disk: XmlDisk, blocks: readonly BlockStat[]): Disk {
  const mine = blocks.filter((b) => b.name === disk.target);
  const chain: Layer[] = disk.chain.map((layer, position) => {
    const stat = mine.find((b) => layer.index !== null && b.backingIndex === layer.index) ??
      mine.find((b) => b.path === layer.path) ??
      // Shut-off domains have no indexes; domstats then reports the top only.
      (position === 0 ? mine.find((b) => b.backingIndex === null) : undefined);
    return {
      index: layer.index,
      path: layer.path,
      format: layer.format,
      capacity: stat?.capacity ?? null,
      allocation: stat ? (stat.physical ?? stat.allocation) : null,
    };
  });
  const warnings: string[] = [];
  const unrecorded = chain.slice(1).filter((l) => l.format === null);
  if (unrecorded.length) {
    warnings.push(
      `libvirt has no recorded format for ${
        unrecorded.map((l) => l.path).join(", ")
      }; blockboard will not run jobs on this disk (a probe could follow a guest-written header)`,
    );
  }
  if (chain.length && chain[0].format === null) {
    warnings.push("the active layer's format is not recorded in the domain XML");
  }
  return {
    target: disk.target,
    device: disk.device,
    type: disk.type,
    format: disk.chain[0]?.format ?? null,
    source: disk.chain[0]?.path ?? null,
    chain,
    mirror: disk.mirror
      ? {
        path: disk.mirror.path,
        format: disk.mirror.format,
        job: disk.mirror.job,
        ready: disk.mirror.ready,
      }
      : null,
    warnings,
    job: null,
  };
}
