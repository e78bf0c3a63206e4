/**
 * What happens after a job ends: for a pivot, commit or pull, the chain it left is read once
 * (one `dumpxml`) to name the files that left it; then the job is saved to the store (its row
 * rewritten if a late event ends it again; never for a job a move or migration owns), and a
 * clean-up's deletions are added to that row.
 * One settling at a time per disk, so a late event's save follows the first.
 *
 * @module
 */
import { dumpXmlArgs } from "../virsh/commands.ts";
import { parseDomainXml } from "../virsh/parse/domxml.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { DiskRef, JobBook, JobRef } from "./book.ts";
import { leftChain } from "./cleanup.ts";
import type { Job } from "./model.ts";

/** What settling needs of the job history (`JobHistory`). */
export interface JobStore {
  /** Stores a finished job (or rewrites row `id`); returns the row id. */
  save(job: Job, id?: number): number;
  /** Records files a clean-up deleted. */
  addCleaned(id: number, files: readonly string[]): void;
}

const diskKey = (r: DiskRef) => `${r.uuid}/${r.target}`;

/** Settles ended jobs; see the module doc. */
export class Settler {
  readonly #runner: VirshRunner;
  readonly #book: () => JobBook;
  readonly #store: JobStore | null;
  /** Per disk: the settling in progress; resolved when done. */
  readonly #settling = new Map<string, Promise<void>>();

  /** `book` is a getter: the book is built with this settler as its `onEnded`. */
  constructor(runner: VirshRunner, book: () => JobBook, store: JobStore | null) {
    this.#runner = runner;
    this.#book = book;
    this.#store = store;
  }

  /** The disk's job `ref.id` ended: settle it after any settling still running there. */
  ended(ref: Required<JobRef>): void {
    const k = diskKey(ref);
    const previous = this.#settling.get(k);
    this.#settling.set(
      k,
      previous ? previous.then(() => this.#settle(ref)) : this.#settle(ref),
    );
  }

  /** Resolves once the disk's ended job has its `leftChain` read and its history saved. */
  async settled(ref: DiskRef): Promise<void> {
    await this.#settling.get(diskKey(ref));
  }

  /** A clean-up deleted `files` that left the disk's chain: on the job and in its row. */
  noteCleaned(ref: DiskRef, files: readonly string[]): void {
    const historyId = this.#book().noteCleaned(ref, files);
    if (historyId !== undefined) this.#store?.addCleaned(historyId, files);
  }

  /**
   * The job that started at `startedAt` on the disk has a new outcome sentence (see
   * `JobBook.rewriteOutcome`): once its end is settled, on the job and in its row.
   */
  async rewriteOutcome(ref: DiskRef, startedAt: string, outcome: string): Promise<void> {
    await this.settled(ref);
    const book = this.#book();
    const historyId = book.rewriteOutcome(ref, startedAt, outcome);
    const facts = book.endFacts(ref);
    if (historyId === null || historyId === undefined || !facts || !this.#store) return;
    try {
      this.#store.save(facts.job, historyId);
    } catch (e) {
      console.error("job monitor: could not save the job history:", e);
    }
  }

  async #settle(ref: Required<JobRef>): Promise<void> {
    // Let the transition that ended the job finish first (its message, its caller's view).
    await Promise.resolve();
    const book = this.#book();
    const facts = book.endFacts(ref);
    if (!facts) return; // a newer job replaced it already
    const { job, chainAtStart } = facts;
    const chainChanged = job.phase === "pivoted" || job.phase === "completed";
    if (chainChanged && chainAtStart && job.leftChain === undefined) {
      try {
        const xml = parseDomainXml((await this.#runner.run(dumpXmlArgs(ref.uuid))).stdout);
        const disk = xml.disks.find((d) => d.target === ref.target);
        if (disk) {
          const after = disk.chain.map((l) => l.path);
          if (disk.mirror?.path) after.push(disk.mirror.path);
          book.setLeftChain(ref, leftChain(chainAtStart, after));
        }
      } catch { /* domain gone or libvirt down: the files are not named */ }
    }
    let historyId: number | undefined;
    try {
      const now = book.endFacts(ref);
      // An owned job's end is its move's or migration's to record, not a copy's of its own.
      if (this.#store && now && !now.job.owner) {
        historyId = this.#store.save(now.job, now.historyId);
      }
    } catch (e) {
      console.error("job monitor: could not save the job history:", e);
    }
    book.saved(ref, historyId);
  }
}
