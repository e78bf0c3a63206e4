/**
 * The job book: what blockboard knows about every disk's block job, and every transition of it
 * — begin, confirm, discard, apply a sample, mark ready, finish, adopt, decide a vanished job —
 * plus the generation that feeds the pages' change feed. No runner, no timers, no I/O: the
 * sampler, the resync (`reconcile.ts`) and the event listener (`book_events.ts`) read libvirt
 * and hand what they read to the book, so every rule about a job's life is tested without virsh.
 *
 * About 400 lines on purpose: every transition reads and writes one private table of entries
 * and the generation, and that table must have one owner. What could leave did: an entry's pure
 * steps (`book_entry.ts`), adoption and claims (`adoption.ts`), phases (`ending.ts`), domain
 * names (`domain_names.ts`), the resync's reconciliation (`reconcile.ts`) and the events' meaning
 * (`book_events.ts`).
 *
 * @module
 */
import type { BlockJobInfo } from "../virsh/parse/blockjob.ts";
import { blockJobTypeFromName } from "../virsh/parse/blockjob.ts";
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import { isActivePhase, isMirrorType, type Job, type JobPhase, type JobType } from "./model.ts";
import {
  adoptedFacts,
  CLAIM_TTL_MS,
  claimOfArgv,
  type FoundJob,
  matchClaim,
  type TerminalClaim,
} from "./adoption.ts";
import {
  applySampleTo,
  type BookEntry,
  type DiskRef,
  endEntry,
  entryOfFinished,
  type JobStart,
  joinMessages,
  markEntryReady,
  newEntry,
  viewOf,
} from "./book_entry.ts";
import { type JobIntent, phaseForEvent } from "./ending.ts";
import { decideVanished } from "./resolve.ts";
import { DomainNames } from "./domain_names.ts";
import {
  type JobTransition,
  type JobTransitionListener,
  TransitionListeners,
} from "./transitions.ts";
import { JobOwners } from "./owners.ts";

export type { DiskRef, JobStart };

/** A disk's job; with `id`, only that job (a late answer about an earlier job is dropped). */
export type JobRef = DiskRef & { id?: number };

/** A job as the sampler and the resync see it: `id` tells a later job on the same disk apart. */
export interface JobState extends DiskRef {
  id: number;
  type: JobType;
  phase: JobPhase;
  /** An operation is still starting it (not sampled, not decided). */
  starting: boolean;
  /** When it vanished from `blockjob --info` (ms), or null while libvirt still lists it. */
  vanishedAt: number | null;
}

/** Disks whose job changed after a generation (see {@link JobBook.changesSince}). */
export interface JobChanges {
  /** The book's generation now: ask again with it. */
  generation: number;
  disks: DiskRef[];
}

/** Options of {@link JobBook}. */
export interface JobBookOptions {
  /** Milliseconds since the epoch (tests pass a fake clock). */
  now?: () => number;
  /** Sliding window for rate and convergence; default 8000 ms. */
  windowMs?: number;
  /** Finished jobs kept per disk (besides the current one); default 5. */
  historyPerDisk?: number;
  /** Told when a job reaches a terminal phase (the monitor then reads its chain and stores it). */
  onEnded?: (job: Required<JobRef>) => void;
  /** The dashboard host every job of this book runs on (copied into each job). */
  host?: string;
  /** The claims of moves and migrations on this host's disks; default: a new empty registry. */
  owners?: JobOwners;
}

const NOT_RUNNING = "the domain is not running any more";
const key = (r: DiskRef) => `${r.uuid}/${r.target}`;

/** Every disk's job and its transitions; see the module doc. */
export class JobBook {
  /** Domain names and UUIDs as libvirt last gave them (events and terminal lines use names). */
  readonly names = new DomainNames();
  /** Which operation owns which disk's job (see `owners.ts`). */
  readonly owners: JobOwners;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #historyPerDisk: number;
  readonly #onEnded: (job: Required<JobRef>) => void;
  readonly #current = new Map<string, BookEntry>();
  readonly #history = new Map<string, Job[]>();
  /**
   * Bumped when a job starts, ends, has its chain settled or is cleaned up. Not at ready: the job
   * card polls itself, and a feed swap racing a click on Pivot would lose the click.
   */
  #generation = 0;
  readonly #changedAt = new Map<string, number>();
  #claims: TerminalClaim[] = [];
  #nextId = 1;
  readonly #transitions = new TransitionListeners();
  readonly #host: string | undefined;

  constructor(options: JobBookOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#windowMs = options.windowMs ?? 8000;
    this.#historyPerDisk = options.historyPerDisk ?? 5;
    this.#onEnded = options.onEnded ?? (() => {});
    this.#host = options.host;
    this.owners = options.owners ?? new JobOwners();
    // A claim made after the job was adopted (a move resumed after a restart) tags it too.
    this.owners.onClaim((ref, owner) => {
      const e = this.#current.get(key(ref));
      if (e && isActivePhase(e.job.phase) && !e.job.owner) {
        e.job.owner = owner;
        this.#bump(key(ref));
      }
    });
  }

  // ---------------------------------------------------------------- reading

  /** The disk's current job, or its last finished one; null when none. */
  get(ref: DiskRef): Job | null {
    const e = this.#current.get(key(ref));
    return e ? viewOf(e, this.#now()) : null;
  }

  /** Earlier finished jobs of the disk, newest first (the current/last one excluded). */
  history(ref: DiskRef): Job[] {
    return [...(this.#history.get(key(ref)) ?? [])];
  }

  /** The state of the disk's current job, or null. */
  peek(ref: DiskRef): JobState | null {
    const e = this.#current.get(key(ref));
    return e ? stateOf(e) : null;
  }

  /** Active jobs no operation is still starting (of one domain with `uuid`): what is sampled. */
  active(uuid?: string): JobState[] {
    return [...this.#current.values()]
      .filter((e) => isActivePhase(e.job.phase) && !e.starting)
      .filter((e) => uuid === undefined || e.job.uuid === uuid)
      .map(stateOf);
  }

  /** True when the domain has an active job, starting or not (the resync then reads its XML). */
  hasActiveOn(uuid: string): boolean {
    return [...this.#current.values()].some((e) =>
      e.job.uuid === uuid && isActivePhase(e.job.phase)
    );
  }

  /** Job `id`'s chain when it began and its store row, while it is the disk's job. */
  endFacts(ref: JobRef) {
    const e = this.#entry(ref);
    return e &&
      { job: viewOf(e, this.#now()), chainAtStart: e.chainAtStart, historyId: e.historyId };
  }

  /** Counts every change of any job; see {@link changesSince}. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Disks whose job started, ended, had its chain settled or was cleaned up after `since` (all
   * disks with a job when `since` is ahead of this book, e.g. a page older than a restart).
   */
  changesSince(since: number): JobChanges {
    const all = since > this.#generation;
    const disks: DiskRef[] = [];
    for (const [k, gen] of this.#changedAt) {
      if (!all && gen <= since) continue;
      if (all && !this.#current.has(k)) continue;
      // A discarded start leaves no job: its slot is still sent, to be drawn empty again.
      const [uuid, target] = k.split("/");
      disks.push({ uuid, target });
    }
    return { generation: this.#generation, disks };
  }

  /** Hears every job start, ready and end (see `transitions.ts`); returns the unsubscribe. */
  onTransition(listener: JobTransitionListener): () => void {
    return this.#transitions.add(listener);
  }

  // ---------------------------------------------------------------- transitions

  /**
   * Registers a job an operation is about to start (phase running, not sampled until
   * {@link confirm}); the disk's previous job moves to its history. Returns the job.
   */
  begin(start: JobStart): Job {
    return viewOf(this.#begin(start, false), this.#now());
  }

  /** The start command succeeded: sample the job from now on. */
  confirm(ref: DiskRef): Job | null {
    const e = this.#current.get(key(ref));
    if (!e) return null;
    const started = e.starting;
    e.starting = false;
    const job = viewOf(e, this.#now());
    if (started) this.#announce({ kind: "started", job, from: null });
    return job;
  }

  /** The start command failed: forget the job and restore the disk's previous one. */
  discard(ref: DiskRef): void {
    const k = key(ref);
    const e = this.#current.get(k);
    if (!e?.starting) return;
    this.#current.delete(k);
    const previous = this.#history.get(k)?.shift();
    if (previous) this.#current.set(k, entryOfFinished(previous, this.#nextId++));
    this.#bump(k);
  }

  /** Records what the operator asked for (pivot, abort, keep copy) before running it. */
  setIntent(ref: DiskRef, intent: JobIntent | null): void {
    const e = this.#current.get(key(ref));
    if (e) e.intent = intent;
  }

  /**
   * Ends the disk's active job with `phase`. With `ref.id`, only that job and only while it is
   * active; without (an operation saw its pivot or abort succeed), a job that already ended only
   * gets the message (the event may be faster). Returns the job.
   */
  finish(ref: JobRef, phase: JobPhase, message?: string): Job | null {
    const e = this.#entry(ref);
    if (!e) return null;
    if (isActivePhase(e.job.phase)) this.#finish(e, phase, message);
    else if (message && ref.id === undefined) e.job.message = joinMessages(e.job.message, message);
    return viewOf(e, this.#now());
  }

  /** Marks the disk's running job ready. */
  markReady(ref: JobRef): void {
    const e = this.#entry(ref);
    if (e && e.job.phase === "running") this.#markReady(e);
  }

  /** One `blockjob --info` sample of the job (null: libvirt no longer lists it). */
  applySample(ref: JobRef, info: BlockJobInfo | null): void {
    const e = this.#entry(ref);
    if (!e || !isActivePhase(e.job.phase)) return;
    if (info === null) e.vanishedAt ??= this.#now();
    else applySampleTo(e, info, { now: this.#now(), windowMs: this.#windowMs });
  }

  /**
   * Decides how the job ended after it vanished and its grace passed: `running` false means the
   * domain stopped; otherwise the live disk tells (see {@link decideFromXml}).
   */
  decideVanished(ref: JobRef, running: boolean, disk: XmlDisk | null): void {
    const e = this.#entry(ref);
    if (!e || !isActivePhase(e.job.phase) || e.vanishedAt === null) return;
    if (!running) this.#finish(e, "interrupted", NOT_RUNNING);
    else this.decideFromXml(ref, disk);
  }

  /**
   * Decides from the live disk (null: the disk left the domain) how the active job ended when
   * libvirt no longer lists it (see `decideVanished` in resolve.ts). A mirror still in the XML
   * means the job is finishing: it waits another grace.
   */
  decideFromXml(ref: JobRef, disk: XmlDisk | null): void {
    const e = this.#entry(ref);
    if (!e || !isActivePhase(e.job.phase)) return;
    if (disk?.mirror && isMirrorType(e.job.type)) {
      e.vanishedAt = this.#now();
      return;
    }
    const decision = decideVanished({ ...e.job, chainAtStart: e.chainAtStart }, disk);
    this.#finish(e, decision.phase, decision.message);
  }

  /** Ends the active jobs of domains (within `scope`, a UUID) that are no longer running. */
  markStopped(running: ReadonlySet<string>, scope?: string): void {
    for (const e of this.#current.values()) {
      if (scope !== undefined && e.job.uuid !== scope) continue;
      if (isActivePhase(e.job.phase) && !e.starting && !running.has(e.job.uuid)) {
        this.#finish(e, "interrupted", NOT_RUNNING);
      }
    }
  }

  /** The domain stopped (a lifecycle event): its active jobs are interrupted, saying `why`. */
  interruptDomain(uuid: string, why: string): void {
    for (const e of this.#current.values()) {
      if (e.job.uuid === uuid && isActivePhase(e.job.phase)) this.#finish(e, "interrupted", why);
    }
  }

  /**
   * A terminal `block-job-2` event for the disk: ends its active job (or settles an `unknown` end
   * of the last minute, replacing its guesswork message) with the phase the event means.
   */
  endByEvent(ref: DiskRef, status: "completed" | "failed" | "canceled", typeName: string): void {
    const e = this.#current.get(key(ref));
    if (!e) return;
    const recentUnknown = e.job.phase === "unknown" && e.job.finishedAt !== null &&
      this.#now() - Date.parse(e.job.finishedAt) < 60_000;
    if (!isActivePhase(e.job.phase) && !recentUnknown) return;
    if (e.job.type === "unknown") e.job.type = blockJobTypeFromName(typeName);
    if (recentUnknown) e.job.message = undefined;
    const facts = { type: e.job.type, wasReady: e.wasReady, intent: e.intent };
    this.#finish(e, phaseForEvent(status, facts));
  }

  /**
   * Adopts a job blockboard did not start (see `adoption.ts`), labelled by a pending terminal
   * claim when one matches. The disk's previous job moves to its history.
   */
  adopt(found: FoundJob): Job {
    const i = matchClaim(this.#claims, found, this.#now());
    const claim = i < 0 ? undefined : this.#claims.splice(i, 1)[0];
    const facts = adoptedFacts(found, claim);
    const e = this.#begin({ ...facts, ...found, target: found.disk.target }, true);
    // A move's or migration's mirror was started by blockboard: no "started outside" warning.
    if (!e.job.owner) e.job.message = facts.message;
    applySampleTo(e, found.info, { now: this.#now(), windowMs: this.#windowMs });
    this.#announce({ kind: "started", job: viewOf(e, this.#now()), from: null });
    if (facts.ready) this.#markReady(e);
    return viewOf(e, this.#now());
  }

  /**
   * A terminal line that starts a job was run for `user`: the job it starts is labelled as theirs
   * when it is adopted. Null when the line starts no job; else the domain's UUID when known.
   */
  claim(argv: readonly string[], user: string): { uuid?: string } | null {
    const now = this.#now();
    const claim = claimOfArgv(argv, user, now);
    if (!claim) return null;
    this.#claims = [...this.#claims.filter((c) => now - c.at < CLAIM_TTL_MS), claim];
    const uuid = this.names.hasUuid(claim.domain) ? claim.domain : this.names.uuidOf(claim.domain);
    return { uuid };
  }

  // ---------------------------------------------------------------- after the end

  /** The files the job left in no chain (read once it ended). */
  setLeftChain(ref: JobRef, files: string[]): void {
    const e = this.#entry(ref);
    if (e && e.job.leftChain === undefined) e.job.leftChain = files;
  }

  /** The job was saved to the store as row `historyId`; the feed redraws the disk. */
  saved(ref: JobRef, historyId: number | undefined): void {
    const e = this.#entry(ref);
    if (e && historyId !== undefined) e.historyId = historyId;
    this.#bump(key(ref));
  }

  /**
   * A clean-up deleted `files` that left the disk's chain: remember it on the job. Returns the
   * job's store row, or undefined when it has none (or no files left its chain).
   */
  noteCleaned(ref: DiskRef, files: readonly string[]): number | undefined {
    const e = this.#current.get(key(ref));
    if (!e || !e.job.leftChain) return undefined;
    e.job.cleaned = [...new Set([...(e.job.cleaned ?? []), ...files])];
    this.#bump(key(ref));
    return e.historyId;
  }

  /**
   * What the end meant changed after it (the operation that started the job tidied up its
   * destination): the disk's job that started at `startedAt`, if it is still the disk's job and
   * has ended, gets `outcome` as its sentence. Returns its store row (undefined when it has none),
   * or null when no such job.
   */
  rewriteOutcome(ref: DiskRef, startedAt: string, outcome: string): number | undefined | null {
    const e = this.#current.get(key(ref));
    if (!e || e.job.startedAt !== startedAt || isActivePhase(e.job.phase)) return null;
    e.job.outcome = outcome;
    this.#bump(key(ref));
    return e.historyId;
  }

  // ---------------------------------------------------------------- internals

  #entry(ref: JobRef): BookEntry | undefined {
    const e = this.#current.get(key(ref));
    return ref.id === undefined || e?.id === ref.id ? e : undefined;
  }

  #begin(start: JobStart, adopted: boolean): BookEntry {
    const k = key(start);
    this.names.remember(start.uuid, start.domain);
    // The disk's previous job moves to its history.
    const old = this.#current.get(k);
    if (old) {
      const history = [viewOf(old, this.#now()), ...(this.#history.get(k) ?? [])];
      this.#history.set(k, history.slice(0, this.#historyPerDisk));
    }
    const e = newEntry(start, { id: this.#nextId++, now: this.#now(), adopted });
    if (this.#host !== undefined) e.job.host = this.#host;
    const owner = this.owners.of(start);
    if (owner) e.job.owner = owner;
    this.#current.set(k, e);
    this.#bump(k);
    return e;
  }

  #finish(e: BookEntry, phase: JobPhase, message?: string): void {
    const from = e.job.phase;
    endEntry(e, { phase, message, now: this.#now() });
    this.#bump(key(e.job));
    this.#onEnded({ uuid: e.job.uuid, target: e.job.target, id: e.id });
    this.#announce({ kind: "ended", job: viewOf(e, this.#now()), from });
  }

  #markReady(e: BookEntry): void {
    markEntryReady(e, this.#now());
    this.#announce({ kind: "ready", job: viewOf(e, this.#now()), from: "running" });
  }

  /**
   * Tells the transition listeners (metrics, webhooks). Not for an owned job: its moments are
   * its operation's, which the move engine and the migration service announce themselves.
   */
  #announce(transition: JobTransition): void {
    if (!transition.job.owner) this.#transitions.emit(transition);
  }

  #bump(k: string): void {
    this.#changedAt.set(k, ++this.#generation);
  }
}

function stateOf(e: BookEntry): JobState {
  const { uuid, target, type, phase } = e.job;
  return { uuid, target, id: e.id, type, phase, starting: e.starting, vanishedAt: e.vanishedAt };
}
