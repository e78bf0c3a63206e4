/**
 * The job monitor: one sampler per active block job, shared by every viewer. Viewers read the
 * latest sample from memory ({@link JobMonitor.getJob} never runs virsh); a loop samples
 * `blockjob --info --raw --bytes` only for disks with an active job, so virsh calls per second
 * scale with jobs, not with browsers. `virsh event --all --loop` marks ready and terminal
 * phases; when the listener dies (libvirtd restart) it is restarted with backoff and the state is
 * resynced from `list`, `dumpxml` and `blockjob`, which also adopts jobs started elsewhere.
 *
 * @module
 */
import {
  blockJobInfoArgs,
  domStatsBlockArgs,
  dumpXmlArgs,
  eventLoopArgs,
  listActiveArgs,
} from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import {
  type BlockJobInfo,
  blockJobTypeFromName,
  parseBlockJobInfo,
} from "../virsh/parse/blockjob.ts";
import { type DomainXml, parseDomainXml, type XmlDisk } from "../virsh/parse/domxml.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { parseEventLine, type VirshEvent } from "../virsh/parse/event.ts";
import { parseListUuidName } from "../virsh/parse/list.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import {
  isActivePhase,
  isMirrorType,
  type Job,
  type JobPhase,
  type JobType,
  outcomeSentence,
  percentOf,
  STARTED_OUTSIDE,
  startedFromTerminal,
} from "./model.ts";
import { leftChain } from "./cleanup.ts";
import { JobStartWatcher } from "./job_starts.ts";
import { pushSample, type Sample, windowStats } from "./rate.ts";
import { decideVanished } from "./resolve.ts";
import { LibvirtReachability } from "./libvirt_seen.ts";

/** Options of {@link JobMonitor}. */
export interface JobMonitorOptions {
  /** Milliseconds since the epoch (tests inject a fake clock). */
  now?: () => number;
  /** Sampling interval; default 1000 ms. */
  intervalMs?: number;
  /** Sliding window for rate and convergence; default 8000 ms. */
  windowMs?: number;
  /** How long a vanished job waits for its terminal event before the XML decides; default 1500 ms. */
  vanishGraceMs?: number;
  /** Finished jobs kept per disk (besides the current one); default 5. */
  historyPerDisk?: number;
  /** Run the sampling loop on a timer (default true; tests call {@link JobMonitor.tick}). */
  sampling?: boolean;
  /** Run the `virsh event` listener (default true; tests call {@link JobMonitor.handleEventLine}). */
  events?: boolean;
  /**
   * Full resync period while running (adopts jobs started with plain virsh, which emit no event
   * when they start); default 10000 ms, 0 disables. Its cost depends on domains, not viewers.
   */
  resyncIntervalMs?: number;
  /** Listener restart backoff: first and maximum delay; default 250 ms and 5000 ms. */
  backoffMs?: { initial: number; max: number };
  /**
   * Listen to QEMU's `JOB_STATUS_CHANGE` (`virsh qemu-monitor-event`), the one event sent when a
   * job is *created*, so jobs started with plain virsh are adopted within a second instead of at
   * the next periodic resync; default: on when `events` is on.
   */
  jobStartEvents?: boolean;
  /** Where finished jobs are kept across restarts (see `JobHistory`); optional. */
  store?: JobStore;
}

/** What the monitor needs of the job history (`JobHistory`). */
export interface JobStore {
  /** Stores a finished job (or rewrites row `id`); returns the row id. */
  save(job: Job, id?: number): number;
  /** Records files a clean-up deleted. */
  addCleaned(id: number, files: readonly string[]): void;
}

/** Disks whose job changed after a generation (see {@link JobMonitor.changesSince}). */
export interface JobChanges {
  /** The monitor's generation now: ask again with it. */
  generation: number;
  disks: { uuid: string; target: string }[];
}

/** What an operation knows when it starts a job (see {@link JobMonitor.beginJob}). */
export interface JobStart {
  uuid: string;
  domain: string;
  target: string;
  type: JobType;
  bandwidthBytes: number;
  dest?: string;
  base?: string;
  top?: string;
  /** Active layer before the job. */
  source?: string;
  /** Chain paths, top first, before the job. */
  chain?: readonly string[];
  /** blockboard did not start it (found running). */
  adopted?: boolean;
  /** See `Job.startedBy`; default `outside blockboard` when adopted, else `blockboard`. */
  startedBy?: string;
}

/** Operator intent recorded before a pivot/abort, so the terminal event maps to the right phase. */
export type JobIntent = "pivot" | "abort" | "keep-copy";

/** State of the event listener, for the page's status line. */
export type ListenerState = "off" | "connecting" | "listening" | "reconnecting";

interface Tracked {
  job: Job;
  samples: Sample[];
  /** An operation is starting this job: do not sample it or decide it vanished yet. */
  starting: boolean;
  vanishedAt: number | null;
  wasReady: boolean;
  intent: JobIntent | null;
  startedAtMs: number;
  chainAtStart?: readonly string[];
  /** Last time the live XML was read for this job's `<mirror ready>`. */
  xmlCheckedAt: number;
  /** Row of this job in the store, once saved. */
  historyId?: number;
  /** Reading the chain after the end (for `leftChain`) and saving; resolved when done. */
  settling?: Promise<void>;
}

/** A terminal line that starts a job, seen before the job is adopted (to say who started it). */
interface TerminalClaim {
  /** `--domain` as typed: a name or UUID. */
  domain: string;
  /** `--path` as typed: a target or the active layer's path. */
  path: string;
  user: string;
  at: number;
}

/** How long a terminal claim waits for its job to be adopted. */
const CLAIM_TTL_MS = 120_000;
/** Subcommands that start a job. */
const JOB_STARTERS = new Set(["blockcopy", "blockpull", "blockcommit"]);

const key = (uuid: string, target: string) => `${uuid}/${target}`;

/** Watches every block job of the connection; see the module doc. */
export class JobMonitor {
  readonly #runner: VirshRunner;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #windowMs: number;
  readonly #graceMs: number;
  readonly #historyPerDisk: number;
  readonly #sampling: boolean;
  readonly #events: boolean;
  readonly #backoff: { initial: number; max: number };
  readonly #resyncIntervalMs: number;

  readonly #current = new Map<string, Tracked>();
  readonly #history = new Map<string, Job[]>();
  readonly #uuidByName = new Map<string, string>();
  readonly #nameByUuid = new Map<string, string>();
  readonly #lineListeners = new Set<(line: string) => void>();
  readonly #store: JobStore | null;
  readonly #startWatcher: JobStartWatcher | null;
  /**
   * Bumped when a job starts, ends, has its chain settled or is cleaned up. Not at ready: the job
   * card on the page polls itself and redraws its controls; a feed swap then would only race the
   * operator's click on Pivot.
   */
  #generation = 0;
  readonly #changedAt = new Map<string, number>();
  #claims: TerminalClaim[] = [];

  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #resyncPending = false;
  #resyncing: Promise<void> | null = null;
  #stopped = true;
  #listenerAbort: AbortController | null = null;
  #listenerLoop: Promise<void> | null = null;
  #listenerState: ListenerState = "off";
  #wake: (() => void) | null = null;
  /** Whether libvirt answered the monitor's own calls, for `/healthz` (never runs virsh). */
  readonly libvirt: LibvirtReachability;
  /** When the state was last rebuilt from libvirt (ms), or null. */
  #lastResyncAt: number | null = null;

  constructor(runner: VirshRunner, options: JobMonitorOptions = {}) {
    this.#runner = runner;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#windowMs = options.windowMs ?? 8000;
    this.#graceMs = options.vanishGraceMs ?? 1500;
    this.#historyPerDisk = options.historyPerDisk ?? 5;
    this.#sampling = options.sampling ?? true;
    this.#events = options.events ?? true;
    this.#backoff = options.backoffMs ?? { initial: 250, max: 5000 };
    this.#resyncIntervalMs = options.resyncIntervalMs ?? 10_000;
    this.#store = options.store ?? null;
    this.#startWatcher = (options.jobStartEvents ?? this.#events)
      ? new JobStartWatcher(runner, {
        backoffMs: this.#backoff,
        onCreated: (domain, target) => this.#jobCreated(domain, target),
      })
      : null;
    this.libvirt = new LibvirtReachability(this.#now);
  }

  // ---------------------------------------------------------------- life cycle

  /** Resyncs from libvirt (adopting running jobs), then starts the listener and the sampling loop. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (this.#events) this.#listenerLoop = this.#listen();
    this.#startWatcher?.start();
    await this.resync();
    if (this.#sampling) {
      this.#timer = setInterval(() => void this.tick(), this.#intervalMs);
    }
  }

  /** Stops the loop and the listener (kills `virsh event`). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listenerAbort?.abort();
    this.#wake?.();
    await this.#startWatcher?.stop();
    await this.#listenerLoop;
    this.#listenerLoop = null;
    this.#listenerState = "off";
    await this.#resyncing;
  }

  /** State of the `virsh event` listener. */
  get listenerState(): ListenerState {
    return this.#listenerState;
  }

  /** ISO time of the last successful resync, or null. */
  get lastResyncAt(): string | null {
    return this.#lastResyncAt === null ? null : new Date(this.#lastResyncAt).toISOString();
  }

  // ---------------------------------------------------------------- reading (never runs virsh)

  /** The disk's current job, or its last finished one, from memory; null when none. */
  getJob(uuid: string, target: string): Job | null {
    const t = this.#current.get(key(uuid, target));
    return t ? this.#view(t) : null;
  }

  /** Counts every change of any job; see {@link changesSince}. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Disks whose job started, ended, had its chain settled or was cleaned up after `since` (all
   * disks with a job when `since` is ahead of this monitor, e.g. a page older than a restart).
   * Memory only: the page's change feed costs no virsh call.
   */
  changesSince(since: number): JobChanges {
    const all = since > this.#generation;
    const disks: { uuid: string; target: string }[] = [];
    for (const [k, gen] of this.#changedAt) {
      if (!all && gen <= since) continue;
      if (all && !this.#current.has(k)) continue;
      // A discarded start leaves no job: its slot is still sent, to be drawn empty again.
      const [uuid, target] = k.split("/");
      disks.push({ uuid, target });
    }
    return { generation: this.#generation, disks };
  }

  /** Resolves once the disk's ended job has its `leftChain` read and its history saved. */
  async settled(uuid: string, target: string): Promise<void> {
    await this.#current.get(key(uuid, target))?.settling;
  }

  /**
   * A terminal line that starts a job (`blockcopy`, `blockpull`, `blockcommit`) was run or is
   * about to run for `user`: the job it starts is labelled as started from the terminal by them,
   * and the domain is resynced at once so every page sees it.
   */
  noteTerminalLine(argv: readonly string[], user: string): void {
    const sub = argv.find((a) => JOB_STARTERS.has(a));
    const valueOf = (flag: string) => {
      const i = argv.indexOf(flag);
      return i >= 0 ? argv[i + 1] : undefined;
    };
    const domain = valueOf("--domain");
    const path = valueOf("--path");
    if (!sub || domain === undefined || path === undefined) return;
    const now = this.#now();
    this.#claims = this.#claims.filter((c) => now - c.at < CLAIM_TTL_MS);
    this.#claims.push({ domain, path, user, at: now });
    const uuid = this.#nameByUuid.has(domain) ? domain : this.#uuidByName.get(domain);
    void this.resync(uuid).catch(() => undefined);
  }

  /** A clean-up deleted `files` that left the disk's chain: remember it on the job and store. */
  noteCleaned(uuid: string, target: string, files: readonly string[]): void {
    const k = key(uuid, target);
    const t = this.#current.get(k);
    if (!t || !t.job.leftChain) return;
    t.job.cleaned = [...new Set([...(t.job.cleaned ?? []), ...files])];
    if (t.historyId !== undefined) this.#store?.addCleaned(t.historyId, files);
    this.#bump(k);
  }

  /** Earlier finished jobs of the disk, newest first (the current/last one excluded). */
  getHistory(uuid: string, target: string): Job[] {
    return [...(this.#history.get(key(uuid, target)) ?? [])];
  }

  /** How many jobs are active (running or ready): the number of virsh calls per tick. */
  get activeCount(): number {
    let n = 0;
    for (const t of this.#current.values()) if (isActivePhase(t.job.phase)) n++;
    return n;
  }

  /**
   * Receives every raw line of the one `virsh event` listener (for the live event log), so the
   * page never starts a second listener. Returns an unsubscribe function.
   */
  onEventLine(listener: (line: string) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  // ---------------------------------------------------------------- used by operations

  /**
   * Registers a job an operation is about to start (phase running, not sampled until
   * {@link confirmJob}); the disk's previous job moves to its history. Returns the job.
   */
  beginJob(start: JobStart): Job {
    const k = key(start.uuid, start.target);
    this.#rememberName(start.uuid, start.domain);
    this.#retire(k);
    const now = this.#now();
    const iso = new Date(now).toISOString();
    const t: Tracked = {
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
        adopted: start.adopted ?? false,
        outcome: null,
        startedBy: start.startedBy ?? (start.adopted ? STARTED_OUTSIDE : "blockboard"),
        updatedAt: iso,
        ...(start.dest !== undefined ? { dest: start.dest } : {}),
        ...(start.base !== undefined ? { base: start.base } : {}),
        ...(start.top !== undefined ? { top: start.top } : {}),
        ...(start.source !== undefined ? { source: start.source } : {}),
      },
      samples: [],
      starting: true,
      vanishedAt: null,
      wasReady: false,
      intent: null,
      startedAtMs: now,
      chainAtStart: start.chain,
      xmlCheckedAt: now,
    };
    this.#current.set(k, t);
    this.#bump(k);
    return this.#view(t);
  }

  /** The start command succeeded: sample the job from now on. */
  confirmJob(uuid: string, target: string): Job | null {
    const t = this.#current.get(key(uuid, target));
    if (!t) return null;
    t.starting = false;
    return this.#view(t);
  }

  /** The start command failed: forget the job and restore the disk's previous one. */
  discardJob(uuid: string, target: string): void {
    const k = key(uuid, target);
    const t = this.#current.get(k);
    if (!t?.starting) return;
    this.#current.delete(k);
    const history = this.#history.get(k);
    const previous = history?.shift();
    if (previous) {
      this.#current.set(k, this.#trackedFromFinished(previous));
    }
    this.#bump(k);
  }

  /** Records what the operator asked for (pivot, abort, keep copy) before running it. */
  setIntent(uuid: string, target: string, intent: JobIntent | null): void {
    const t = this.#current.get(key(uuid, target));
    if (t) t.intent = intent;
  }

  /**
   * Ends the disk's active job with `phase` (an operation saw pivot/abort succeed). No-op when the
   * job already ended (the event may be faster). Returns the job.
   */
  finishJob(uuid: string, target: string, phase: JobPhase, message?: string): Job | null {
    const t = this.#current.get(key(uuid, target));
    if (!t) return null;
    if (isActivePhase(t.job.phase)) this.#finish(t, phase, message);
    else if (message) t.job.message = joinMessages(t.job.message, message);
    return this.#view(t);
  }

  /** Appends a note to the disk's job message (e.g. a post-pivot verification warning). */
  addMessage(uuid: string, target: string, message: string): void {
    const t = this.#current.get(key(uuid, target));
    if (t) {
      t.job.message = joinMessages(t.job.message, message);
    }
  }

  /** Marks the disk's active job ready (an operation saw `<mirror ready='yes'>`). */
  markReady(uuid: string, target: string): void {
    const t = this.#current.get(key(uuid, target));
    if (t && t.job.phase === "running") this.#markReady(t);
  }

  /** Samples one disk's job now (after a bandwidth change, say) and returns it. */
  async sampleNow(uuid: string, target: string): Promise<Job | null> {
    const t = this.#current.get(key(uuid, target));
    if (t && isActivePhase(t.job.phase)) await this.#sample(t);
    return this.getJob(uuid, target);
  }

  // ---------------------------------------------------------------- sampling

  /**
   * One sampling round: one `blockjob --info --raw --bytes` per active job, resolution of
   * vanished jobs, and a pending resync. The timer calls it; tests call it directly.
   */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const due = this.#resyncIntervalMs > 0 && this.#lastResyncAt !== null &&
        this.#now() - this.#lastResyncAt >= this.#resyncIntervalMs;
      if (this.#resyncPending || due) await this.resync();
      const now = this.#now();
      const work: Promise<void>[] = [];
      for (const t of this.#current.values()) {
        if (!isActivePhase(t.job.phase) || t.starting) continue;
        if (t.vanishedAt !== null) {
          if (now - t.vanishedAt >= this.#graceMs) work.push(this.#resolveVanished(t));
        } else {
          work.push(this.#sample(t));
        }
      }
      await Promise.all(work);
    } finally {
      this.#ticking = false;
    }
  }

  async #sample(t: Tracked): Promise<void> {
    const { uuid, target } = t.job;
    let info: BlockJobInfo | null;
    try {
      // The sampler's own slots: progress keeps moving while pages and streams are busy.
      const out = await this.#runner.run(blockJobInfoArgs(uuid, target), { lane: "sampler" });
      info = parseBlockJobInfo(out.stdout);
    } catch (e) {
      if (!this.#stillActive(t)) return;
      if (e instanceof VirshError && e.kind === "not-running") {
        this.#finish(t, "interrupted", "the domain is not running any more");
      } else if (e instanceof VirshError && e.kind === "not-found") {
        this.#resyncPending = true; // the domain or disk is gone; the resync decides
      }
      return; // unreachable / timeout: keep the last sample, the listener restart resyncs
    }
    if (!this.#stillActive(t)) return;
    if (info === null) {
      if (t.vanishedAt === null) t.vanishedAt = this.#now();
      return;
    }
    this.#applySample(t, info);
    // A ready event can be missed (listener restarting): a mirror at cur == end is checked in XML.
    if (
      t.job.phase === "running" && isMirrorType(t.job.type) && info.end > 0 &&
      info.cur === info.end && this.#now() - t.xmlCheckedAt >= 3000
    ) {
      t.xmlCheckedAt = this.#now();
      const disk = await this.#liveDisk(uuid, target).catch(() => undefined);
      if (disk?.mirror?.ready === "yes" && this.#stillActive(t)) this.#markReady(t);
    }
  }

  #applySample(t: Tracked, info: BlockJobInfo): void {
    const now = this.#now();
    t.vanishedAt = null;
    t.samples = pushSample(t.samples, { t: now, cur: info.cur, end: info.end }, this.#windowMs);
    const stats = windowStats(t.samples, isMirrorType(t.job.type));
    const job = t.job;
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

  async #resolveVanished(t: Tracked): Promise<void> {
    const { uuid, target } = t.job;
    let running: boolean;
    let disk: XmlDisk | null = null;
    try {
      running = (await this.#runningDomains()).some((d) => d.uuid === uuid);
      if (running) disk = await this.#liveDisk(uuid, target);
    } catch {
      return; // libvirt unreachable: decide on a later tick
    }
    if (!this.#stillActive(t) || t.vanishedAt === null) return;
    if (!running) {
      this.#finish(t, "interrupted", "the domain is not running any more");
      return;
    }
    this.#decideFromXml(t, disk);
  }

  #decideFromXml(t: Tracked, disk: XmlDisk | null): void {
    if (disk?.mirror && isMirrorType(t.job.type)) {
      // libvirt still shows the mirror: the job is finishing; look again on the next tick.
      t.vanishedAt = this.#now();
      return;
    }
    const decision = decideVanished({
      type: t.job.type,
      target: t.job.target,
      dest: t.job.dest,
      base: t.job.base,
      top: t.job.top,
      source: t.job.source,
      chainAtStart: t.chainAtStart,
    }, disk);
    this.#finish(t, decision.phase, decision.message);
  }

  // ---------------------------------------------------------------- resync and adoption

  /**
   * Rebuilds job state from libvirt: running domains, their disks (one bulk `domstats`),
   * `blockjob` per disk, and the live XML of domains that have a job.
   * Adopts jobs blockboard did not start, marks jobs of stopped domains interrupted and decides
   * vanished ones from the XML. `uuid` limits it to one domain. Failures leave a resync pending
   * for the next tick.
   */
  resync(uuid?: string): Promise<void> {
    if (this.#resyncing) {
      // One at a time; a full resync covers a scoped one.
      return this.#resyncing.then(() => uuid === undefined ? this.resync() : undefined);
    }
    this.#resyncing = this.#doResync(uuid).finally(() => {
      this.#resyncing = null;
    });
    return this.#resyncing;
  }

  async #doResync(scope?: string): Promise<void> {
    let running: { uuid: string; name: string }[];
    try {
      running = await this.#runningDomains();
    } catch {
      this.#resyncPending = true;
      return;
    }
    const runningUuids = new Set(running.map((d) => d.uuid));
    for (const t of this.#current.values()) {
      if (scope !== undefined && t.job.uuid !== scope) continue;
      if (isActivePhase(t.job.phase) && !t.starting && !runningUuids.has(t.job.uuid)) {
        this.#finish(t, "interrupted", "the domain is not running any more");
      }
    }
    const wanted = running.filter((d) => scope === undefined || d.uuid === scope);
    // One bulk call names every disk; the XML is read only for domains with a job to reconcile.
    let targetsByName: Map<string, string[]>;
    try {
      const out = await this.#runner.run(domStatsBlockArgs(scope));
      targetsByName = new Map(
        parseDomstats(out.stdout, running.map((d) => d.name)).map((s) => [
          s.name,
          [...new Set(s.blocks.filter((b) => b.path !== null).map((b) => b.name))],
        ]),
      );
    } catch {
      this.#resyncPending = true;
      return;
    }
    let failed = false;
    await Promise.all(wanted.map(async (d) => {
      const infos = await Promise.all(
        (targetsByName.get(d.name) ?? []).map(async (target) => {
          try {
            const out = await this.#runner.run(blockJobInfoArgs(d.uuid, target));
            return { target, info: parseBlockJobInfo(out.stdout) };
          } catch (e) {
            if (!(e instanceof VirshError && e.kind === "not-found")) failed = true;
            return null;
          }
        }),
      );
      const tracked = [...this.#current.values()].filter((t) =>
        t.job.uuid === d.uuid && this.#stillActive(t)
      );
      if (tracked.length === 0 && !infos.some((i) => i?.info)) return;
      let xml: DomainXml;
      try {
        xml = parseDomainXml((await this.#runner.run(dumpXmlArgs(d.uuid))).stdout);
      } catch (e) {
        if (!(e instanceof VirshError && e.kind === "not-found")) failed = true;
        return;
      }
      for (const sampled of infos) {
        const disk = sampled && xml.disks.find((x) => x.target === sampled.target);
        if (disk) this.#reconcile(d.uuid, xml.name, disk, sampled.info);
      }
      // Tracked active jobs on disks that left the XML.
      for (const t of tracked) {
        if (this.#stillActive(t) && !xml.disks.some((disk) => disk.target === t.job.target)) {
          this.#decideFromXml(t, null);
        }
      }
    }));
    this.#resyncPending = failed;
    if (!failed) this.#lastResyncAt = this.#now();
  }

  #reconcile(uuid: string, name: string, disk: XmlDisk, info: BlockJobInfo | null): void {
    const k = key(uuid, disk.target);
    const t = this.#current.get(k);
    if (t?.starting) return;
    const ready = disk.mirror?.ready === "yes";
    if (info) {
      if (
        t && isActivePhase(t.job.phase) && (t.job.type === info.type || t.job.type === "unknown")
      ) {
        this.#applySample(t, info);
        if (ready && t.job.phase === "running") this.#markReady(t);
        return;
      }
      if (t && isActivePhase(t.job.phase)) {
        this.#finish(t, "unknown", "a different job now runs on this disk");
      }
      this.#adopt(uuid, name, disk, info);
      return;
    }
    if (t && isActivePhase(t.job.phase)) this.#decideFromXml(t, disk);
  }

  #adopt(uuid: string, name: string, disk: XmlDisk, info: BlockJobInfo): void {
    const mirrorPath = disk.mirror?.path;
    this.beginJob({
      uuid,
      domain: name,
      target: disk.target,
      type: info.type,
      bandwidthBytes: info.bandwidth,
      source: disk.chain[0]?.path,
      chain: disk.chain.map((l) => l.path),
      ...(info.type === "copy" && mirrorPath ? { dest: mirrorPath } : {}),
      ...(info.type === "active-commit" && mirrorPath ? { base: mirrorPath } : {}),
    });
    const t = this.#current.get(key(uuid, disk.target))!;
    t.starting = false;
    t.job.adopted = true;
    const claim = this.#takeClaim(uuid, name, disk);
    if (claim) {
      t.job.startedBy = startedFromTerminal(claim.user);
      t.job.message = `started from the terminal by ${claim.user}`;
    } else {
      t.job.startedBy = STARTED_OUTSIDE;
      t.job.message =
        "started outside blockboard (or before it restarted): times count from when it was first seen";
    }
    this.#applySample(t, info);
    if (disk.mirror?.ready === "yes") this.#markReady(t);
  }

  // ---------------------------------------------------------------- events

  /** Handles one line of `virsh event --all --loop --timestamp` output. */
  handleEventLine(line: string): void {
    for (const l of this.#lineListeners) {
      try {
        l(line);
      } catch { /* a viewer's failure must not stop job tracking */ }
    }
    let event: VirshEvent | null;
    try {
      event = parseEventLine(line, [...this.#uuidByName.keys()]);
    } catch {
      return;
    }
    if (!event) return;
    if (event.kind === "block-job") {
      if (event.event !== "block-job-2") return; // keyed by path, which changes on pivot
      const uuid = this.#uuidByName.get(event.domain);
      if (!uuid) {
        this.#resyncPending = true;
        return;
      }
      const t = this.#current.get(key(uuid, event.disk));
      const type = blockJobTypeFromName(event.jobTypeName);
      if (event.status === "ready") {
        if (t && isActivePhase(t.job.phase)) this.#markReady(t);
        else this.#resyncPending = true; // a job started elsewhere: adopt it
        return;
      }
      if (!t) return;
      const recentUnknown = t.job.phase === "unknown" && t.job.finishedAt !== null &&
        this.#now() - Date.parse(t.job.finishedAt) < 60_000;
      if (!isActivePhase(t.job.phase) && !recentUnknown) return;
      if (t.job.type === "unknown") t.job.type = type;
      this.#finish(t, this.#phaseForEvent(t, event.status), undefined, true);
      return;
    }
    if (event.kind === "lifecycle") {
      if (event.event !== "Stopped" && event.event !== "Crashed") return;
      const uuid = this.#uuidByName.get(event.domain);
      if (!uuid) return;
      for (const t of this.#current.values()) {
        if (t.job.uuid === uuid && isActivePhase(t.job.phase)) {
          this.#finish(t, "interrupted", `the domain stopped (${event.event} ${event.detail})`);
        }
      }
    }
  }

  #phaseForEvent(t: Tracked, status: "completed" | "failed" | "canceled"): JobPhase {
    if (status === "failed") return "failed";
    if (status === "completed") return isMirrorType(t.job.type) ? "pivoted" : "completed";
    return t.wasReady && (t.intent === "keep-copy" || t.job.type === "copy")
      ? "kept-copy"
      : "canceled";
  }

  async #listen(): Promise<void> {
    let delay = this.#backoff.initial;
    let first = true;
    while (!this.#stopped) {
      const abort = new AbortController();
      this.#listenerAbort = abort;
      this.#listenerState = first ? "connecting" : "reconnecting";
      if (!first) this.#resyncPending = true; // events in the gap are lost
      first = false;
      const startedAt = this.#now();
      let buffer = "";
      try {
        await this.#runner.run(eventLoopArgs(), {
          timeoutMs: 0,
          signal: abort.signal,
          onStdout: (chunk) => {
            this.#listenerState = "listening";
            this.libvirt.seen();
            buffer += chunk;
            const lines = buffer.split("\n");
            buffer = lines.pop() ?? "";
            for (const line of lines) this.handleEventLine(line);
          },
        });
      } catch (e) {
        // libvirtd went away (`client socket is closed`) or is not up yet: retry below.
        if (!this.#stopped) this.libvirt.failed(e);
      }
      if (this.#stopped) break;
      this.#listenerState = "reconnecting";
      delay = this.#now() - startedAt > 10_000 ? this.#backoff.initial : Math.min(
        delay * 2,
        this.#backoff.max,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  // ---------------------------------------------------------------- helpers

  async #runningDomains(): Promise<{ uuid: string; name: string }[]> {
    let stdout: string;
    try {
      stdout = (await this.#runner.run(listActiveArgs())).stdout;
      this.libvirt.seen();
    } catch (e) {
      this.libvirt.failed(e);
      throw e;
    }
    const list = parseListUuidName(stdout);
    for (const d of list) this.#rememberName(d.uuid, d.name);
    return list;
  }

  async #liveDisk(uuid: string, target: string): Promise<XmlDisk | null> {
    const xml = parseDomainXml((await this.#runner.run(dumpXmlArgs(uuid))).stdout);
    this.#rememberName(uuid, xml.name);
    return xml.disks.find((d) => d.target === target) ?? null;
  }

  #rememberName(uuid: string, name: string): void {
    const old = this.#nameByUuid.get(uuid);
    if (old !== undefined && old !== name) this.#uuidByName.delete(old);
    this.#nameByUuid.set(uuid, name);
    this.#uuidByName.set(name, uuid);
  }

  #stillActive(t: Tracked): boolean {
    return this.#current.get(key(t.job.uuid, t.job.target)) === t && isActivePhase(t.job.phase);
  }

  #markReady(t: Tracked): void {
    t.job.phase = "ready";
    t.wasReady = true;
    t.job.readyAt ??= new Date(this.#now()).toISOString();
    t.job.etaSeconds = null;
  }

  #finish(t: Tracked, phase: JobPhase, message?: string, fromEvent = false): void {
    const now = this.#now();
    // An event that settles an `unknown` replaces its guesswork message.
    if (fromEvent && t.job.phase === "unknown") t.job.message = undefined;
    t.job.phase = phase;
    t.job.finishedAt = new Date(now).toISOString();
    t.job.rateBytesPerSecond = null;
    t.job.etaSeconds = null;
    t.vanishedAt = null;
    t.job.outcome = outcomeSentence({
      type: t.job.type,
      phase,
      dest: t.job.dest,
      base: t.job.base,
      top: t.job.top,
      source: t.job.source,
      wasReady: t.wasReady,
      at: new Date(now),
    });
    if (message) t.job.message = joinMessages(t.job.message, message);
    this.#bump(key(t.job.uuid, t.job.target));
    t.settling = this.#settle(t);
  }

  /**
   * After a job ends: for a pivot, commit or pull, reads the chain it left (one `dumpxml`) to
   * name the files that left it; then saves the job to the store.
   */
  async #settle(t: Tracked): Promise<void> {
    await t.settling;
    const chainChanged = t.job.phase === "pivoted" || t.job.phase === "completed";
    if (chainChanged && t.chainAtStart && t.job.leftChain === undefined) {
      try {
        const disk = await this.#liveDisk(t.job.uuid, t.job.target);
        if (disk) {
          const after = disk.chain.map((l) => l.path);
          if (disk.mirror?.path) after.push(disk.mirror.path);
          t.job.leftChain = leftChain(t.chainAtStart, after);
        }
      } catch { /* domain gone or libvirt down: the files are not named */ }
    }
    try {
      if (this.#store) t.historyId = this.#store.save(this.#view(t), t.historyId);
    } catch (e) {
      console.error("job monitor: could not save the job history:", e);
    }
    this.#bump(key(t.job.uuid, t.job.target));
  }

  #bump(k: string): void {
    this.#changedAt.set(k, ++this.#generation);
  }

  /** The pending terminal claim matching a just-adopted job, removed from the list. */
  #takeClaim(uuid: string, name: string, disk: XmlDisk): TerminalClaim | undefined {
    const now = this.#now();
    const i = this.#claims.findIndex((c) =>
      now - c.at < CLAIM_TTL_MS && (c.domain === uuid || c.domain === name) &&
      (c.path === disk.target || c.path === disk.chain[0]?.path)
    );
    return i < 0 ? undefined : this.#claims.splice(i, 1)[0];
  }

  /** QEMU created a job on `domain` (by name): adopt it now unless it is already tracked. */
  #jobCreated(domain: string, target: string | null): void {
    const uuid = this.#uuidByName.get(domain);
    if (uuid && target) {
      const t = this.#current.get(key(uuid, target));
      if (t && (t.starting || isActivePhase(t.job.phase))) return; // ours, or already known
    }
    void this.resync(uuid).catch(() => undefined);
  }

  /** Moves the disk's current job (if finished or about to be replaced) into its history. */
  #retire(k: string): void {
    const old = this.#current.get(k);
    if (!old) return;
    this.#current.delete(k);
    const history = this.#history.get(k) ?? [];
    history.unshift(this.#view(old));
    history.length = Math.min(history.length, this.#historyPerDisk);
    this.#history.set(k, history);
  }

  #trackedFromFinished(job: Job): Tracked {
    return {
      job: { ...job },
      samples: [],
      starting: false,
      vanishedAt: null,
      wasReady: job.readyAt !== null,
      intent: null,
      startedAtMs: Date.parse(job.startedAt),
      xmlCheckedAt: 0,
    };
  }

  #view(t: Tracked): Job {
    const end = t.job.finishedAt !== null ? Date.parse(t.job.finishedAt) : this.#now();
    return { ...t.job, elapsedSeconds: Math.max(0, Math.round((end - t.startedAtMs) / 1000)) };
  }
}

function joinMessages(a: string | undefined, b: string): string {
  return a ? `${a} ${b}` : b;
}
