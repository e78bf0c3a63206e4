/**
 * The job book: what blockboard knows about every disk's block job, and every transition of it
 * — begin, confirm, discard, apply a sample, mark ready, finish, adopt, reconcile with a resync
 * snapshot, apply an event — plus the generation that feeds the pages' change feed. No runner,
 * no timers, no I/O: the sampler, the resync and the event listener read libvirt and hand what
 * they read to the book, so every rule about a job's life lives here and is tested without virsh.
 *
 * Over 300 lines on purpose: the transitions share one private entry table, and splitting them
 * would expose that table to several modules instead of one.
 *
 * @module
 */
import type { BlockJobInfo } from "../virsh/parse/blockjob.ts";
import { blockJobTypeFromName } from "../virsh/parse/blockjob.ts";
import type { DomainXml, XmlDisk } from "../virsh/parse/domxml.ts";
import type { VirshEvent } from "../virsh/parse/event.ts";
import {
  isActivePhase,
  isMirrorType,
  type Job,
  type JobPhase,
  type JobType,
  outcomeSentence,
  percentOf,
  STARTED_OUTSIDE,
} from "./model.ts";
import {
  adoptedFacts,
  CLAIM_TTL_MS,
  claimOfArgv,
  type FoundJob,
  matchClaim,
  type TerminalClaim,
} from "./adoption.ts";
import { type JobIntent, phaseForEvent } from "./ending.ts";
import { pushSample, type Sample, windowStats } from "./rate.ts";
import { decideVanished } from "./resolve.ts";

/** A disk of a domain, by UUID (resolve names before calling). */
export interface DiskRef {
  uuid: string;
  target: string;
}

/** An active job as the sampler sees it: `id` tells a later job on the same disk apart. */
export interface ActiveJob extends DiskRef {
  id: number;
  type: JobType;
  phase: JobPhase;
  cur: number;
  end: number;
  /** When it vanished from `blockjob --info` (ms), or null while libvirt still lists it. */
  vanishedAt: number | null;
}

/** What an operation knows when it starts a job (see {@link JobBook.begin}). */
export interface JobStart extends DiskRef {
  domain: string;
  type: JobType;
  bandwidthBytes: number;
  dest?: string;
  base?: string;
  top?: string;
  /** Active layer before the job. */
  source?: string;
  /** Chain paths, top first, before the job. */
  chain?: readonly string[];
  /** See `Job.startedBy`; default `blockboard`. */
  startedBy?: string;
}

/** One disk's `blockjob --info` as a resync read it (null: no job). */
export interface SampledDisk {
  target: string;
  info: BlockJobInfo | null;
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
  onEnded?: (ref: DiskRef, id: number) => void;
}

interface Entry {
  id: number;
  job: Job;
  samples: Sample[];
  /** An operation is starting this job: do not sample it or decide it vanished yet. */
  starting: boolean;
  vanishedAt: number | null;
  wasReady: boolean;
  intent: JobIntent | null;
  startedAtMs: number;
  chainAtStart?: readonly string[];
  /** Row of this job in the store, once saved. */
  historyId?: number;
}

const NOT_RUNNING = "the domain is not running any more";
const key = (r: DiskRef) => `${r.uuid}/${r.target}`;

/** Every disk's job and its transitions; see the module doc. */
export class JobBook {
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #historyPerDisk: number;
  readonly #onEnded: (ref: DiskRef, id: number) => void;
  readonly #current = new Map<string, Entry>();
  readonly #history = new Map<string, Job[]>();
  readonly #uuidByName = new Map<string, string>();
  readonly #nameByUuid = new Map<string, string>();
  /**
   * Bumped when a job starts, ends, has its chain settled or is cleaned up. Not at ready: the job
   * card polls itself, and a feed swap racing a click on Pivot would lose the click.
   */
  #generation = 0;
  readonly #changedAt = new Map<string, number>();
  #claims: TerminalClaim[] = [];
  #nextId = 1;

  constructor(options: JobBookOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#windowMs = options.windowMs ?? 8000;
    this.#historyPerDisk = options.historyPerDisk ?? 5;
    this.#onEnded = options.onEnded ?? (() => {});
  }

  // ---------------------------------------------------------------- reading

  /** The disk's current job, or its last finished one; null when none. */
  get(ref: DiskRef): Job | null {
    const e = this.#current.get(key(ref));
    return e ? this.#view(e) : null;
  }

  /** Earlier finished jobs of the disk, newest first (the current/last one excluded). */
  history(ref: DiskRef): Job[] {
    return [...(this.#history.get(key(ref)) ?? [])];
  }

  /** Jobs libvirt runs and no operation is still starting: what the sampler samples. */
  active(): ActiveJob[] {
    return [...this.#current.values()].filter((e) => isActivePhase(e.job.phase) && !e.starting)
      .map((e) => ({
        uuid: e.job.uuid,
        target: e.job.target,
        id: e.id,
        type: e.job.type,
        phase: e.job.phase,
        cur: e.job.cur,
        end: e.job.end,
        vanishedAt: e.vanishedAt,
      }));
  }

  /** True when the domain has an active job the book follows (so the resync reads its XML). */
  hasActiveOn(uuid: string): boolean {
    return [...this.#current.values()].some((e) =>
      e.job.uuid === uuid && isActivePhase(e.job.phase)
    );
  }

  /** The job `id`'s chain when it began and its store row, while it is the disk's job. */
  endFacts(ref: DiskRef, id: number) {
    const e = this.#entry(ref, id);
    return e && { job: this.#view(e), chainAtStart: e.chainAtStart, historyId: e.historyId };
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

  /** The UUID of a domain by the name the book last saw, or undefined. */
  uuidOf(name: string): string | undefined {
    return this.#uuidByName.get(name);
  }

  /** Names of the domains the book knows (the event parser needs them). */
  knownNames(): string[] {
    return [...this.#uuidByName.keys()];
  }

  /** Records the domain's current name (from `list` or the XML). */
  rememberName(uuid: string, name: string): void {
    const old = this.#nameByUuid.get(uuid);
    if (old !== undefined && old !== name) this.#uuidByName.delete(old);
    this.#nameByUuid.set(uuid, name);
    this.#uuidByName.set(name, uuid);
  }

  // ---------------------------------------------------------------- operations

  /**
   * Registers a job an operation is about to start (phase running, not sampled until
   * {@link confirm}); the disk's previous job moves to its history. Returns the job.
   */
  begin(start: JobStart): Job {
    return this.#view(this.#begin(start, false));
  }

  /** The start command succeeded: sample the job from now on. */
  confirm(ref: DiskRef): Job | null {
    const e = this.#current.get(key(ref));
    if (!e) return null;
    e.starting = false;
    return this.#view(e);
  }

  /** The start command failed: forget the job and restore the disk's previous one. */
  discard(ref: DiskRef): void {
    const k = key(ref);
    const e = this.#current.get(k);
    if (!e?.starting) return;
    this.#current.delete(k);
    const previous = this.#history.get(k)?.shift();
    if (previous) this.#current.set(k, this.#entryOfFinished(previous));
    this.#bump(k);
  }

  /** Records what the operator asked for (pivot, abort, keep copy) before running it. */
  setIntent(ref: DiskRef, intent: JobIntent | null): void {
    const e = this.#current.get(key(ref));
    if (e) e.intent = intent;
  }

  /**
   * Ends the disk's active job with `phase` (an operation saw pivot/abort succeed, or the sampler
   * saw the domain stop). `id` limits it to that job and to its active life; without `id`, a job
   * that already ended only gets the message (the event may be faster). Returns the job.
   */
  finish(ref: DiskRef, phase: JobPhase, message?: string, id?: number): Job | null {
    const e = id === undefined ? this.#current.get(key(ref)) : this.#entry(ref, id);
    if (!e) return null;
    if (isActivePhase(e.job.phase)) this.#finish(e, phase, message);
    else if (message && id === undefined) e.job.message = joinMessages(e.job.message, message);
    return this.#view(e);
  }

  /** Appends a note to the disk's job message (e.g. a post-pivot verification warning). */
  addMessage(ref: DiskRef, message: string): void {
    const e = this.#current.get(key(ref));
    if (e) e.job.message = joinMessages(e.job.message, message);
  }

  /** Marks the disk's running job ready (a `ready` event, or `<mirror ready='yes'>`). */
  markReady(ref: DiskRef, id?: number): void {
    const e = id === undefined ? this.#current.get(key(ref)) : this.#entry(ref, id);
    if (e && e.job.phase === "running") this.#markReady(e);
  }

  // ---------------------------------------------------------------- sampling

  /** One `blockjob --info` sample of job `id` (null: the job is no longer listed). */
  applySample(ref: DiskRef, id: number, info: BlockJobInfo | null): void {
    const e = this.#entry(ref, id);
    if (!e || !isActivePhase(e.job.phase)) return;
    if (info === null) e.vanishedAt ??= this.#now();
    else this.#applySample(e, info);
  }

  /**
   * Decides how job `id` ended after it vanished without an event: `running` false means the
   * domain stopped; otherwise the live disk's chain tells (see `decideVanished`).
   */
  decideVanished(ref: DiskRef, id: number, running: boolean, disk: XmlDisk | null): void {
    const e = this.#entry(ref, id);
    if (!e || !isActivePhase(e.job.phase) || e.vanishedAt === null) return;
    if (!running) this.#finish(e, "interrupted", NOT_RUNNING);
    else this.#decideFromXml(e, disk);
  }

  // ---------------------------------------------------------------- resync

  /** Ends the active jobs of domains (within `scope`, a UUID) that are no longer running. */
  markStopped(running: ReadonlySet<string>, scope?: string): void {
    for (const e of this.#current.values()) {
      if (scope !== undefined && e.job.uuid !== scope) continue;
      if (isActivePhase(e.job.phase) && !e.starting && !running.has(e.job.uuid)) {
        this.#finish(e, "interrupted", NOT_RUNNING);
      }
    }
  }

  /**
   * Reconciles one running domain with what the resync read: its live XML and `blockjob --info`
   * per disk. Adopts jobs the book does not follow, applies samples and ready to those it does,
   * decides vanished ones from the XML (also those whose disk left the XML).
   */
  reconcile(uuid: string, xml: DomainXml, infos: readonly SampledDisk[]): void {
    this.rememberName(uuid, xml.name);
    const before = [...this.#current.values()].filter((e) =>
      e.job.uuid === uuid && isActivePhase(e.job.phase) && !e.starting
    );
    for (const { target, info } of infos) {
      const disk = xml.disks.find((d) => d.target === target);
      if (disk) this.#reconcileDisk({ uuid, domain: xml.name, disk }, info);
    }
    for (const e of before) {
      const gone = !xml.disks.some((d) => d.target === e.job.target);
      if (gone && this.#current.get(key(e.job)) === e && isActivePhase(e.job.phase)) {
        this.#decideFromXml(e, null);
      }
    }
  }

  /**
   * Adopts a job blockboard did not start (see `adoption.ts`), labelled by a pending terminal
   * claim when one matches. The disk's previous job moves to its history.
   */
  adopt(found: FoundJob): Job {
    const i = matchClaim(this.#claims, found, this.#now());
    const claim = i < 0 ? undefined : this.#claims.splice(i, 1)[0];
    const facts = adoptedFacts(found, claim);
    const e = this.#begin({
      uuid: found.uuid,
      domain: found.domain,
      target: found.disk.target,
      ...facts,
    }, true);
    e.job.message = facts.message;
    this.#applySample(e, found.info);
    if (facts.ready) this.#markReady(e);
    return this.#view(e);
  }

  /**
   * A terminal line that starts a job was run for `user`: the job it starts is labelled as theirs
   * when it is adopted. Returns the domain's UUID when the book knows it (to resync only it).
   */
  claim(argv: readonly string[], user: string): { uuid?: string } | null {
    const now = this.#now();
    const claim = claimOfArgv(argv, user, now);
    if (!claim) return null;
    this.#claims = [...this.#claims.filter((c) => now - c.at < CLAIM_TTL_MS), claim];
    const uuid = this.#nameByUuid.has(claim.domain) ? claim.domain : this.uuidOf(claim.domain);
    return { uuid };
  }

  // ---------------------------------------------------------------- events

  /**
   * Applies one `virsh event` line. Returns true when the book learnt of a job or domain it does
   * not follow (a resync should adopt it).
   */
  applyEvent(event: VirshEvent): boolean {
    if (event.kind === "block-job") {
      if (event.event !== "block-job-2") return false; // keyed by path, which changes on pivot
      const uuid = this.uuidOf(event.domain);
      if (!uuid) return true;
      const e = this.#current.get(key({ uuid, target: event.disk }));
      if (event.status === "ready") {
        if (e && isActivePhase(e.job.phase)) {
          this.#markReady(e);
          return false;
        }
        return true; // a job started elsewhere: adopt it
      }
      if (!e) return false;
      const recentUnknown = e.job.phase === "unknown" && e.job.finishedAt !== null &&
        this.#now() - Date.parse(e.job.finishedAt) < 60_000;
      if (!isActivePhase(e.job.phase) && !recentUnknown) return false;
      if (e.job.type === "unknown") e.job.type = blockJobTypeFromName(event.jobTypeName);
      // An event that settles an `unknown` replaces its guesswork message.
      if (recentUnknown) e.job.message = undefined;
      this.#finish(
        e,
        phaseForEvent(event.status, { type: e.job.type, wasReady: e.wasReady, intent: e.intent }),
      );
      return false;
    }
    if (event.kind === "lifecycle" && (event.event === "Stopped" || event.event === "Crashed")) {
      const uuid = this.uuidOf(event.domain);
      for (const e of this.#current.values()) {
        if (uuid && e.job.uuid === uuid && isActivePhase(e.job.phase)) {
          this.#finish(e, "interrupted", `the domain stopped (${event.event} ${event.detail})`);
        }
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- after the end

  /** The files job `id` left in no chain (read once it ended). */
  setLeftChain(ref: DiskRef, id: number, files: string[]): void {
    const e = this.#entry(ref, id);
    if (e && e.job.leftChain === undefined) e.job.leftChain = files;
  }

  /** Job `id` was saved to the store as row `historyId`; the feed redraws the disk. */
  saved(ref: DiskRef, id: number, historyId: number | undefined): void {
    const e = this.#entry(ref, id);
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

  // ---------------------------------------------------------------- internals

  #entry(ref: DiskRef, id: number): Entry | undefined {
    const e = this.#current.get(key(ref));
    return e?.id === id ? e : undefined;
  }

  #begin(start: JobStart, adopted: boolean): Entry {
    const k = key(start);
    this.rememberName(start.uuid, start.domain);
    this.#retire(k);
    const now = this.#now();
    const iso = new Date(now).toISOString();
    const e: Entry = {
      id: this.#nextId++,
      job: {
        type: start.type,
        phase: "running",
        cur: 0,
        end: 0,
        percent: 0,
        bandwidthBytes: start.bandwidthBytes,
        rateBytesPerSecond: null,
        etaSeconds: null,
        startedAt: iso,
        domain: start.domain,
        uuid: start.uuid,
        target: start.target,
        elapsedSeconds: 0,
        finishedAt: null,
        readyAt: null,
        converging: null,
        adopted,
        outcome: null,
        startedBy: start.startedBy ?? (adopted ? STARTED_OUTSIDE : "blockboard"),
        updatedAt: iso,
        ...(start.dest !== undefined ? { dest: start.dest } : {}),
        ...(start.base !== undefined ? { base: start.base } : {}),
        ...(start.top !== undefined ? { top: start.top } : {}),
        ...(start.source !== undefined ? { source: start.source } : {}),
      },
      samples: [],
      starting: !adopted,
      vanishedAt: null,
      wasReady: false,
      intent: null,
      startedAtMs: now,
      chainAtStart: start.chain,
    };
    this.#current.set(k, e);
    this.#bump(k);
    return e;
  }

  #reconcileDisk(found: Omit<FoundJob, "info">, info: BlockJobInfo | null): void {
    const e = this.#current.get(key({ uuid: found.uuid, target: found.disk.target }));
    if (e?.starting) return;
    const active = e !== undefined && isActivePhase(e.job.phase);
    if (!info) {
      if (active) this.#decideFromXml(e, found.disk);
      return;
    }
    if (active && (e.job.type === info.type || e.job.type === "unknown")) {
      this.#applySample(e, info);
      if (found.disk.mirror?.ready === "yes" && e.job.phase === "running") this.#markReady(e);
      return;
    }
    if (active) this.#finish(e, "unknown", "a different job now runs on this disk");
    this.adopt({ ...found, info });
  }

  #decideFromXml(e: Entry, disk: XmlDisk | null): void {
    if (disk?.mirror && isMirrorType(e.job.type)) {
      // libvirt still shows the mirror: the job is finishing; look again after the grace.
      e.vanishedAt = this.#now();
      return;
    }
    const decision = decideVanished({ ...e.job, chainAtStart: e.chainAtStart }, disk);
    this.#finish(e, decision.phase, decision.message);
  }

  #applySample(e: Entry, info: BlockJobInfo): void {
    const now = this.#now();
    e.vanishedAt = null;
    e.samples = pushSample(e.samples, { t: now, cur: info.cur, end: info.end }, this.#windowMs);
    const stats = windowStats(e.samples, isMirrorType(e.job.type));
    const job = e.job;
    if (job.type === "unknown" && info.type !== "unknown") job.type = info.type;
    job.cur = info.cur;
    job.end = info.end;
    job.percent = percentOf(info.cur, info.end);
    job.bandwidthBytes = info.bandwidth;
    job.rateBytesPerSecond = stats.rateBytesPerSecond;
    job.etaSeconds = job.phase === "ready" ? null : stats.etaSeconds;
    job.converging = stats.converging;
    job.updatedAt = new Date(now).toISOString();
  }

  #markReady(e: Entry): void {
    e.job.phase = "ready";
    e.wasReady = true;
    e.job.readyAt ??= new Date(this.#now()).toISOString();
    e.job.etaSeconds = null;
  }

  #finish(e: Entry, phase: JobPhase, message?: string): void {
    const now = this.#now();
    e.job.phase = phase;
    e.job.finishedAt = new Date(now).toISOString();
    e.job.rateBytesPerSecond = null;
    e.job.etaSeconds = null;
    e.vanishedAt = null;
    e.job.outcome = outcomeSentence({ ...e.job, phase, wasReady: e.wasReady, at: new Date(now) });
    if (message) e.job.message = joinMessages(e.job.message, message);
    this.#bump(key(e.job));
    this.#onEnded({ uuid: e.job.uuid, target: e.job.target }, e.id);
  }

  #bump(k: string): void {
    this.#changedAt.set(k, ++this.#generation);
  }

  /** Moves the disk's current job (finished, or about to be replaced) into its history. */
  #retire(k: string): void {
    const old = this.#current.get(k);
    if (!old) return;
    this.#current.delete(k);
    const history = this.#history.get(k) ?? [];
    history.unshift(this.#view(old));
    history.length = Math.min(history.length, this.#historyPerDisk);
    this.#history.set(k, history);
  }

  #entryOfFinished(job: Job): Entry {
    return {
      id: this.#nextId++,
      job: { ...job },
      samples: [],
      starting: false,
      vanishedAt: null,
      wasReady: job.readyAt !== null,
      intent: null,
      startedAtMs: Date.parse(job.startedAt),
    };
  }

  #view(e: Entry): Job {
    const end = e.job.finishedAt !== null ? Date.parse(e.job.finishedAt) : this.#now();
    return { ...e.job, elapsedSeconds: Math.max(0, Math.round((end - e.startedAtMs) / 1000)) };
  }
}

function joinMessages(a: string | undefined, b: string): string {
  return a ? `${a} ${b}` : b;
}
