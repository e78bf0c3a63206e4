/**
 * The resync: rebuilds what the {@link JobBook} knows from libvirt — running domains (one
 * `list`), their disks (one bulk `domstats --block`), `blockjob --info` per disk, and the live
 * XML only of domains that have a job — and hands it to the book, which adopts jobs started
 * elsewhere, marks jobs of stopped domains interrupted and decides vanished ones. One resync at a
 * time; a failed one leaves a resync pending for the next sampling round.
 *
 * @module
 */
import {
  blockJobInfoArgs,
  domStatsBlockArgs,
  dumpXmlArgs,
  listActiveArgs,
} from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import { parseBlockJobInfo } from "../virsh/parse/blockjob.ts";
import { type DomainXml, parseDomainXml } from "../virsh/parse/domxml.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { parseListUuidName } from "../virsh/parse/list.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { JobBook } from "./book.ts";
import { reconcileDomain, type SampledDisk } from "./reconcile.ts";
import type { LibvirtReachability } from "./libvirt_seen.ts";

/** A running domain. */
interface Running {
  uuid: string;
  name: string;
}

/** Resyncs the book from libvirt; see the module doc. */
export class Resync {
  readonly #runner: VirshRunner;
  readonly #book: JobBook;
  readonly #libvirt: LibvirtReachability;
  readonly #now: () => number;
  #running: Promise<void> | null = null;
  /** A resync is owed (a failure, an event about something unknown, a listener restart). */
  pending = false;
  /** When the last complete resync ended (ms), or null. */
  lastAt: number | null = null;

  constructor(
    runner: VirshRunner,
    book: JobBook,
    deps: { libvirt: LibvirtReachability; now: () => number },
  ) {
    this.#runner = runner;
    this.#book = book;
    this.#libvirt = deps.libvirt;
    this.#now = deps.now;
  }

  /** Resyncs every running domain, or only `uuid`'s. A full resync waits for a scoped one. */
  run(uuid?: string): Promise<void> {
    if (this.#running) {
      return this.#running.then(() => uuid === undefined ? this.run() : undefined);
    }
    this.#running = this.#resync(uuid).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** True when a resync is pending, or `everyMs` (0: never) passed since the last one. */
  owed(everyMs: number): boolean {
    const due = everyMs > 0 && this.lastAt !== null && this.#now() - this.lastAt >= everyMs;
    return this.pending || due;
  }

  /** Resolves when no resync is running. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /** The running domains' UUIDs (one `list`), noting whether libvirt answered. */
  async runningUuids(): Promise<Set<string>> {
    return new Set((await this.#runningDomains()).map((d) => d.uuid));
  }

  async #runningDomains(): Promise<Running[]> {
    let stdout: string;
    try {
      stdout = (await this.#runner.run(listActiveArgs())).stdout;
      this.#libvirt.seen();
    } catch (e) {
      this.#libvirt.failed(e);
      throw e;
    }
    const list = parseListUuidName(stdout);
    for (const d of list) this.#book.names.remember(d.uuid, d.name);
    return list;
  }

  async #resync(scope?: string): Promise<void> {
    let running: Running[];
    let targetsByName: Map<string, string[]>;
    try {
      running = await this.#runningDomains();
      this.#book.markStopped(new Set(running.map((d) => d.uuid)), scope);
      // One bulk call names every disk; the XML is read only for domains with a job.
      const out = await this.#runner.run(domStatsBlockArgs(scope));
      targetsByName = new Map(
        parseDomstats(out.stdout, running.map((d) => d.name)).map((s) => [
          s.name,
          [...new Set(s.blocks.filter((b) => b.path !== null).map((b) => b.name))],
        ]),
      );
    } catch {
      this.pending = true;
      return;
    }
    const wanted = running.filter((d) => scope === undefined || d.uuid === scope);
    const failures = await Promise.all(
      wanted.map((d) => this.#domain(d, targetsByName.get(d.name) ?? [])),
    );
    const failed = failures.some((f) => f);
    this.pending = failed;
    if (!failed) this.lastAt = this.#now();
  }

  /** Reads and reconciles one domain; true when a call failed for another reason than "gone". */
  async #domain(d: Running, targets: readonly string[]): Promise<boolean> {
    let failed = false;
    const gone = (e: unknown) => {
      if (!(e instanceof VirshError && e.kind === "not-found")) failed = true;
      return null;
    };
    const infos = (await Promise.all(targets.map(async (target) => {
      try {
        const out = await this.#runner.run(blockJobInfoArgs(d.uuid, target));
        return { target, info: parseBlockJobInfo(out.stdout) };
      } catch (e) {
        return gone(e);
      }
    }))).filter((i): i is SampledDisk => i !== null);
    if (!this.#book.hasActiveOn(d.uuid) && !infos.some((i) => i.info)) return failed;
    let xml: DomainXml;
    try {
      xml = parseDomainXml((await this.#runner.run(dumpXmlArgs(d.uuid))).stdout);
    } catch (e) {
      gone(e);
      return failed;
    }
    reconcileDomain(this.#book, { uuid: d.uuid, xml, infos });
    return failed;
  }
}
