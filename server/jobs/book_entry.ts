/**
 * One entry of the {@link JobBook}: a job as the API shows it plus what the book needs to move it
 * on (samples for the rate, whether it was ready, the operator's intent, its store row), and the
 * pure steps that change an entry. The book decides which step applies; these only apply it.
 *
 * @module
 */
import type { BlockJobInfo } from "../virsh/parse/blockjob.ts";
import {
  isMirrorType,
  type Job,
  type JobOptions,
  type JobPhase,
  type JobType,
  outcomeSentence,
  percentOf,
  STARTED_OUTSIDE,
} from "./model.ts";
import type { JobIntent } from "./ending.ts";
import { progressed, pushSample, type Sample, windowStats } from "./rate.ts";
import { type ConvergenceWatch, notConvergingVerdict, watchConvergence } from "./convergence.ts";

/** A disk of a domain, by UUID (resolve names before calling). */
export interface DiskRef {
  uuid: string;
  target: string;
}

/** What an operation knows when it starts a job (see `JobBook.begin`). */
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
  /** See `Job.command`. */
  command?: string;
  /** See `Job.options`. */
  options?: JobOptions;
}

/** A job in the book. */
export interface BookEntry {
  /** Tells a later job on the same disk apart (a late answer about an old job is dropped). */
  id: number;
  job: Job;
  samples: Sample[];
  /** Two of this job's samples showed progress (see `rate.ts` `progressed`): a rate means something. */
  moved: boolean;
  /** The remainder's current growth streak (a running copy only; see convergence.ts). */
  convergence: ConvergenceWatch | null;
  /** An operation is starting this job: do not sample it or decide it vanished yet. */
  starting: boolean;
  /** When it vanished from `blockjob --info` (ms), or null while libvirt still lists it. */
  vanishedAt: number | null;
  wasReady: boolean;
  intent: JobIntent | null;
  startedAtMs: number;
  chainAtStart?: readonly string[];
  /** Row of this job in the store, once saved. */
  historyId?: number;
}

/** A new running entry (`adopted`: found running, so sampled at once). Pure. */
export function newEntry(
  start: JobStart,
  { id, now, adopted }: { id: number; now: number; adopted: boolean },
): BookEntry {
  const iso = new Date(now).toISOString();
  return {
    id,
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
      notConverging: null,
      adopted,
      outcome: null,
      startedBy: start.startedBy ?? (adopted ? STARTED_OUTSIDE : "blockboard"),
      updatedAt: iso,
      ...(start.dest !== undefined ? { dest: start.dest } : {}),
      ...(start.base !== undefined ? { base: start.base } : {}),
      ...(start.top !== undefined ? { top: start.top } : {}),
      ...(start.source !== undefined ? { source: start.source } : {}),
      ...(start.command !== undefined ? { command: start.command } : {}),
      ...(start.options !== undefined ? { options: { ...start.options } } : {}),
    },
    samples: [],
    moved: false,
    convergence: null,
    starting: !adopted,
    vanishedAt: null,
    wasReady: false,
    intent: null,
    startedAtMs: now,
    chainAtStart: start.chain,
  };
}

/** An entry for a finished job put back (a failed start restores the disk's previous job). */
export function entryOfFinished(job: Job, id: number): BookEntry {
  return {
    id,
    job: { ...job },
    samples: [],
    moved: false,
    convergence: null,
    starting: false,
    vanishedAt: null,
    wasReady: job.readyAt !== null,
    intent: null,
    startedAtMs: Date.parse(job.startedAt),
  };
}

/** Applies one `blockjob --info` sample: progress, bandwidth, rate, ETA, convergence. */
export function applySampleTo(
  e: BookEntry,
  info: BlockJobInfo,
  { now, windowMs }: { now: number; windowMs: number },
): void {
  e.vanishedAt = null;
  const sample = { t: now, cur: info.cur, end: info.end };
  const previous = e.samples[e.samples.length - 1];
  e.samples = pushSample(e.samples, sample, windowMs);
  // A restarted window (cur went back: a new job) starts unmoved again.
  e.moved = e.samples.length > 1 && (e.moved || progressed(previous, sample));
  const stats = windowStats(e.samples, isMirrorType(e.job.type), e.moved);
  const job = e.job;
  if (job.type === "unknown" && info.type !== "unknown") job.type = info.type;
  job.cur = info.cur;
  job.end = info.end;
  job.percent = percentOf(info.cur, info.end);
  job.bandwidthBytes = info.bandwidth;
  // Ready, cur and end grow together with the guest's writes: that is no copy rate ("in sync").
  const ready = job.phase === "ready";
  job.rateBytesPerSecond = ready ? null : stats.rateBytesPerSecond;
  job.etaSeconds = ready ? null : stats.etaSeconds;
  job.converging = stats.converging;
  if (job.type === "copy" && job.phase === "running") {
    e.convergence = watchConvergence(e.convergence, sample);
    job.notConverging = notConvergingVerdict(e.convergence, sample, {
      bandwidthBytes: job.bandwidthBytes,
      synchronousWrites: job.options?.synchronousWrites === true,
    });
  } else {
    e.convergence = null;
    job.notConverging = null;
  }
  job.updatedAt = new Date(now).toISOString();
}

/** Marks the entry ready (mirroring / synchronized). */
export function markEntryReady(e: BookEntry, now: number): void {
  e.job.phase = "ready";
  e.wasReady = true;
  e.job.readyAt ??= new Date(now).toISOString();
  e.job.rateBytesPerSecond = null;
  e.job.etaSeconds = null;
  e.job.notConverging = null;
  e.convergence = null;
}

/** Ends the entry with `phase`: the outcome sentence, the end time, the message. */
export function endEntry(
  e: BookEntry,
  { phase, message, now }: { phase: JobPhase; message?: string; now: number },
): void {
  e.job.phase = phase;
  e.job.finishedAt = new Date(now).toISOString();
  e.job.rateBytesPerSecond = null;
  e.job.etaSeconds = null;
  e.job.notConverging = null;
  e.convergence = null;
  e.vanishedAt = null;
  e.job.outcome = outcomeSentence({ ...e.job, phase, wasReady: e.wasReady, at: new Date(now) });
  if (message) e.job.message = joinMessages(e.job.message, message);
}

/** The job as readers see it, with its elapsed time as of `now` (or its end). Pure. */
export function viewOf(e: BookEntry, now: number): Job {
  const end = e.job.finishedAt !== null ? Date.parse(e.job.finishedAt) : now;
  return { ...e.job, elapsedSeconds: Math.max(0, Math.round((end - e.startedAtMs) / 1000)) };
}

/** Two messages as one. Pure. */
export function joinMessages(a: string | undefined, b: string): string {
  return a ? `${a} ${b}` : b;
}
