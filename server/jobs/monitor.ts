/**
 * The job monitor: wiring of the pure {@link JobBook} (every job's state and transitions) to what
 * reads libvirt — the {@link Sampler} (one `blockjob --info` per active job per second), the
 * {@link Resync} (adopts jobs started elsewhere, every 10 s and on demand), the
 * {@link EventListener} (`virsh event`: ready and terminal states) and the
 * {@link JobStartWatcher} (QEMU's `created`, so a job started with plain virsh is adopted at
 * once) — plus what happens after a job ends (the chain it left, the history row). Viewers read
 * the book's memory, so virsh calls per second scale with jobs, not with browsers.
 *
 * @module
 */
import type { VirshRunner } from "../virsh/runner.ts";
import { isActivePhase, type Job } from "./model.ts";
import { type DiskRef, JobBook, type JobChanges } from "./book.ts";
import { type JobStore, Settler } from "./settle.ts";
import { EventListener } from "./events.ts";
import { JobStartWatcher } from "./job_starts.ts";
import { LibvirtReachability } from "./libvirt_seen.ts";
import { Resync } from "./resync.ts";
import { Sampler } from "./sampler.ts";
import { ownedJobRefusal } from "./owners.ts";

export type { JobChanges, JobStore };

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
  /** Run the `virsh event` listener (default true; tests feed `events.handleLine`). */
  events?: boolean;
  /**
   * Full resync period while running (adopts jobs started with plain virsh, which emit no event
   * when they start); default 10000 ms, 0 disables. Its cost depends on domains, not viewers.
   */
  resyncIntervalMs?: number;
  /** Listener restart backoff: first and maximum delay; default 250 ms and 5000 ms. */
  backoffMs?: { initial: number; max: number };
  /** Listen to QEMU's `JOB_STATUS_CHANGE` (see `job_starts.ts`); default: as `events`. */
  jobStartEvents?: boolean;
  /** Where finished jobs are kept across restarts (see `JobHistory`); optional. */
  store?: JobStore;
  /** The dashboard host this monitor watches (each job carries it). */
  host?: string;
}

/** Watches every block job of the connection; see the module doc. */
export class JobMonitor {
  /** Every job's state; operations steer it through its transitions. */
  readonly book: JobBook;
  /** The `virsh event` listener (and the live event log's source). */
  readonly events: EventListener;
  /** What the monitor last learnt about libvirt (for `/healthz`). */
  readonly libvirt: LibvirtReachability;
  readonly #now: () => number;
  readonly #options: JobMonitorOptions;
  readonly #settler: Settler;
  readonly #sampler: Sampler;
  readonly #resync: Resync;
  readonly #startWatcher: JobStartWatcher | null;
  readonly #domainChangeListeners = new Set<(domain: string) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #stopped = true;

  constructor(runner: VirshRunner, options: JobMonitorOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#settler = new Settler(runner, () => this.book, options.store ?? null);
    this.libvirt = new LibvirtReachability(this.#now);
    this.book = new JobBook({
      now: this.#now,
      windowMs: options.windowMs,
      historyPerDisk: options.historyPerDisk,
      onEnded: (job) => this.#settler.ended(job),
      host: options.host,
    });
    const wantResync = () => (this.#resync.pending = true);
    this.#resync = new Resync(runner, this.book, { libvirt: this.libvirt, now: this.#now });
    this.#sampler = new Sampler(runner, this.book, {
      now: this.#now,
      vanishGraceMs: options.vanishGraceMs ?? 1500,
      runningUuids: () => this.#resync.runningUuids(),
      wantResync,
    });
    const backoffMs = options.backoffMs ?? { initial: 250, max: 5000 };
    this.events = new EventListener(runner, this.book, {
      libvirt: this.libvirt,
      now: this.#now,
      backoffMs,
      wantResync,
    });
    this.#startWatcher = (options.jobStartEvents ?? options.events ?? true)
      ? new JobStartWatcher(runner, {
        backoffMs,
        onCreated: (domain, target) => this.#jobCreated(domain, target),
        onDismissed: (domain) => {
          for (const listener of this.#domainChangeListeners) listener(domain);
        },
      })
      : null;
  }

  /** Resyncs from libvirt (adopting running jobs), then starts the listeners and the sampling. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (this.#options.events ?? true) this.events.start();
    this.#startWatcher?.start();
    try {
      await this.resync();
    } finally {
      // Also after a failed resync (libvirt down at start): the ticks resync once it answers.
      if ((this.#options.sampling ?? true) && !this.#stopped) {
        this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs ?? 1000);
      }
    }
  }

  /** Stops the sampling and the listeners (kills their virsh processes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([this.events.stop(), this.#startWatcher?.stop()]);
    await this.#resync.idle();
  }

  /** One sampling round, after a resync when one is pending or due. The timer calls it. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      if (this.#resync.owed(this.#options.resyncIntervalMs ?? 10_000)) await this.resync();
      await this.#sampler.round();
    } finally {
      this.#ticking = false;
    }
  }

  /** Rebuilds job state from libvirt (see `resync.ts`); `uuid` limits it to one domain. */
  resync(uuid?: string): Promise<void> {
    return this.#resync.run(uuid);
  }

  /** Samples one disk's active job now (after a start or a bandwidth change) and returns it. */
  async sampleNow(ref: DiskRef): Promise<Job | null> {
    await this.#sampler.now(ref);
    return this.book.get(ref);
  }

  /** The disk's current job, or its last finished one, from memory; null when none. */
  getJob(uuid: string, target: string): Job | null {
    return this.book.get({ uuid, target });
  }

  /** Earlier finished jobs of the disk, newest first (the current/last one excluded). */
  getHistory(uuid: string, target: string): Job[] {
    return this.book.history({ uuid, target });
  }

  /** Counts every change of any job (see `JobBook.changesSince`). */
  get generation(): number {
    return this.book.generation;
  }

  /** Disks whose job changed after `since`, from memory (the page's change feed). */
  changesSince(since: number): JobChanges {
    return this.book.changesSince(since);
  }

  /** Resolves once the disk's ended job has its `leftChain` read and its history saved. */
  settled(ref: DiskRef): Promise<void> {
    return this.#settler.settled(ref);
  }

  /**
   * A terminal line that starts a job (`blockcopy`, `blockpull`, `blockcommit`) was run or is
   * about to run for `user`: the job it starts is labelled as started from the terminal by them,
   * and the domain is resynced at once so every page sees it.
   */
  noteTerminalLine(argv: readonly string[], user: string): void {
    const claimed = this.book.claim(argv, user);
    if (claimed) void this.resync(claimed.uuid).catch(() => undefined);
  }

  /**
   * Why a terminal line may not control the job of disk `disk` (a target, or a path of its job's
   * source or copy) of `domain` (a name or UUID): the sentence naming the move or migration that
   * owns it, or null (see `owners.ts`).
   */
  ownedJobRefusal(domain: string, disk: string): string | null {
    const names = this.book.names;
    const uuid = names.hasUuid(domain) ? domain : names.uuidOf(domain);
    if (!uuid) return null;
    for (const { target, owner } of this.book.owners.claimsOf(uuid)) {
      const job = this.book.get({ uuid, target });
      if (disk === target || (job && (disk === job.source || disk === job.dest))) {
        return ownedJobRefusal(target, owner);
      }
    }
    return null;
  }

  /** A clean-up deleted `files` that left the disk's chain: remember it on the job and store. */
  noteCleaned(uuid: string, target: string, files: readonly string[]): void {
    this.#settler.noteCleaned({ uuid, target }, files);
  }

  /**
   * The disk's ended job that started at `startedAt` has a new outcome sentence (its operation
   * tidied up after it): on the job and in its stored row, once its end is settled.
   */
  rewriteOutcome(ref: DiskRef, startedAt: string, outcome: string): Promise<void> {
    return this.#settler.rewriteOutcome(ref, startedAt, outcome);
  }

  /**
   * Domains (by name) whose disks QEMU may have changed without a libvirt event (a disk-only
   * snapshot). Returns an unsubscribe function.
   */
  onDomainChange(listener: (domain: string) => void): () => void {
    this.#domainChangeListeners.add(listener);
    return () => this.#domainChangeListeners.delete(listener);
  }

  /** Every raw `virsh event` line (the live event log). Returns an unsubscribe function. */
  onEventLine(listener: (line: string) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** QEMU created a job on `domain` (by name): adopt it now unless it is already tracked. */
  #jobCreated(domain: string, target: string | null): void {
    const uuid = this.book.names.uuidOf(domain);
    if (uuid && target) {
      // Ours (an operation is starting it: phase running), or already known.
      const job = this.book.get({ uuid, target });
      if (job && isActivePhase(job.phase)) return;
    }
    void this.resync(uuid).catch(() => undefined);
  }
}
