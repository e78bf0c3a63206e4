/**
 * The sampler: one `blockjob --info --raw --bytes` per active job per round, on the sampler's
 * own runner lane, handed to the {@link JobBook}; jobs that vanished without an event are
 * decided from the live XML once their grace has passed. The monitor's timer calls
 * {@link Sampler.round}; viewers never cause a call.
 *
 * @module
 */
import { blockJobInfoArgs, dumpXmlArgs } from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import { parseBlockJobInfo } from "../virsh/parse/blockjob.ts";
import { parseDomainXml, type XmlDisk } from "../virsh/parse/domxml.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { isMirrorType } from "./model.ts";
import type { DiskRef, JobBook, JobState } from "./book.ts";

/** Options of {@link Sampler}. */
export interface SamplerOptions {
  now: () => number;
  /** How long a vanished job waits for its terminal event before the XML decides. */
  vanishGraceMs: number;
  /** The running domains' UUIDs (one `list`; throws when libvirt does not answer). */
  runningUuids: () => Promise<Set<string>>;
  /** Something only a resync can settle (a domain or disk is gone). */
  wantResync: () => void;
}

/** How often a mirror at cur == end has its `<mirror ready>` read, when no event said ready. */
const READY_CHECK_MS = 3000;

/** Samples the book's active jobs; see the module doc. */
export class Sampler {
  readonly #runner: VirshRunner;
  readonly #book: JobBook;
  readonly #options: SamplerOptions;
  /** Per job id: when its live XML was last read for `<mirror ready>`. */
  readonly #xmlCheckedAt = new Map<number, number>();

  constructor(runner: VirshRunner, book: JobBook, options: SamplerOptions) {
    this.#runner = runner;
    this.#book = book;
    this.#options = options;
  }

  /** Samples every active job once and decides the vanished ones whose grace has passed. */
  async round(): Promise<void> {
    const now = this.#options.now();
    const jobs = this.#book.active();
    const live = new Set(jobs.map((j) => j.id));
    for (const id of this.#xmlCheckedAt.keys()) if (!live.has(id)) this.#xmlCheckedAt.delete(id);
    await Promise.all(jobs.map((j) => {
      if (j.vanishedAt === null) return this.#sample(j);
      return now - j.vanishedAt >= this.#options.vanishGraceMs
        ? this.#resolveVanished(j)
        : undefined;
    }));
  }

  /** Samples one disk's active job now (after a bandwidth change, a start). */
  async now(ref: DiskRef): Promise<void> {
    const job = this.#book.active().find((j) => j.uuid === ref.uuid && j.target === ref.target);
    if (job) await this.#sample(job);
  }

  async #sample(j: JobState): Promise<void> {
    let out;
    try {
      // The sampler's own slots: progress keeps moving while pages and streams are busy.
      out = await this.#runner.run(blockJobInfoArgs(j.uuid, j.target), { lane: "sampler" });
    } catch (e) {
      if (e instanceof VirshError && e.kind === "not-running") {
        this.#book.finish(j, "interrupted", "the domain is not running any more");
      } else if (e instanceof VirshError && e.kind === "not-found") {
        this.#options.wantResync(); // the domain or disk is gone; the resync decides
      }
      return; // unreachable / timeout: keep the last sample, the listener restart resyncs
    }
    const info = parseBlockJobInfo(out.stdout);
    this.#book.applySample(j, info);
    // A ready event can be missed (listener restarting): a mirror at cur == end is checked in XML.
    const now = this.#options.now();
    if (
      info && j.phase === "running" && isMirrorType(j.type) && info.end > 0 &&
      info.cur === info.end && now - (this.#xmlCheckedAt.get(j.id) ?? now) >= READY_CHECK_MS
    ) {
      this.#xmlCheckedAt.set(j.id, now);
      const disk = await this.#liveDisk(j).catch(() => undefined);
      if (disk?.mirror?.ready === "yes") this.#book.markReady(j);
    } else if (!this.#xmlCheckedAt.has(j.id)) {
      this.#xmlCheckedAt.set(j.id, now);
    }
  }

  async #resolveVanished(j: JobState): Promise<void> {
    let running: boolean;
    let disk: XmlDisk | null = null;
    try {
      running = (await this.#options.runningUuids()).has(j.uuid);
      if (running) disk = await this.#liveDisk(j);
    } catch {
      return; // libvirt unreachable: decide on a later round
    }
    this.#book.decideVanished(j, running, disk);
  }

  async #liveDisk(ref: DiskRef): Promise<XmlDisk | null> {
    const xml = parseDomainXml((await this.#runner.run(dumpXmlArgs(ref.uuid))).stdout);
    this.#book.names.remember(ref.uuid, xml.name);
    return xml.disks.find((d) => d.target === ref.target) ?? null;
  }
}
