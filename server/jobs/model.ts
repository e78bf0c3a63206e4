/**
 * The block job as the API and the views show it, and the pure functions that turn what the
 * monitor knows into that shape (percent, outcome sentences).
 *
 * @module
 */

import type { BlockJobType } from "../virsh/parse/blockjob.ts";
import type { MirrorTuning } from "./mirror_tuning.ts";
import type { JobOwner } from "./owners.ts";

/** {@link Job.startedBy} of a job blockboard did not start. */
export const STARTED_OUTSIDE = "outside blockboard";

/** {@link Job.startedBy} of a job started by a terminal line of `user`. */
export function startedFromTerminal(user: string): string {
  return `terminal (${user})`;
}

/** Kind of block job: the parser's normalised type (`blockJobTypeFromName`). */
export type JobType = BlockJobType;

/** Where a job is in its life. */
export type JobPhase =
  | "running" // streaming data
  | "ready" // mirroring / synchronized (copy, active commit): pivot or abort now
  | "completed"
  | "pivoted"
  | "kept-copy" // a ready copy aborted on purpose: the copy is consistent, the domain stays put
  | "canceled"
  | "failed"
  | "interrupted" // the domain stopped while the job ran
  | "unknown"; // vanished without an event and the XML did not settle it

/** Every {@link JobType}: the zod enums of the history table and of the API are built from it. */
export const JOB_TYPES = [
  "pull",
  "copy",
  "commit",
  "active-commit",
  "backup",
  "unknown",
] as const satisfies readonly JobType[];

/** Every {@link JobPhase}: the zod enums of the history table and of the API are built from it. */
export const JOB_PHASES = [
  "running",
  "ready",
  "completed",
  "pivoted",
  "kept-copy",
  "canceled",
  "failed",
  "interrupted",
  "unknown",
] as const satisfies readonly JobPhase[];

// A member added to JobType or JobPhase but not to its list fails `deno check` here.
const _everyJobType: Exclude<JobType, (typeof JOB_TYPES)[number]> extends never ? true : false =
  true;
const _everyJobPhase: Exclude<JobPhase, (typeof JOB_PHASES)[number]> extends never ? true
  : false = true;

/** True while the job still runs in libvirt (running or ready). */
export function isActivePhase(phase: JobPhase): boolean {
  return phase === "running" || phase === "ready";
}

/** Options a job was started with beyond its paths and bandwidth; only those set appear. */
export interface JobOptions extends MirrorTuning {
  /** Pull / commit `--keep-relative`. */
  keepRelative?: boolean;
  /** Commit `--delete`: libvirt deletes the committed layers once the commit succeeded. */
  delete?: boolean;
}

/** A block job (API v1 `Job`, plus what the page needs). */
export interface Job {
  type: JobType;
  phase: JobPhase;
  /** Progress counter (bytes for most jobs; abstract units for an idle active commit). */
  cur: number;
  end: number;
  /** cur/end in percent, floored to 0.1 so 100 means done. */
  percent: number;
  /** Bandwidth limit in bytes/s; 0 = unlimited. */
  bandwidthBytes: number;
  /** Progress rate over the sliding window; null until two samples exist. */
  rateBytesPerSecond: number | null;
  /** Seconds until cur reaches end at the current rate; null when unknown. */
  etaSeconds: number | null;
  /** ISO time the job was started (or first seen, for adopted jobs). */
  startedAt: string;
  /** Copy destination. */
  dest?: string;
  /** Something the operator should know (warnings, what to check). */
  message?: string;
  /** Domain name, UUID and disk target. */
  /** The dashboard host it runs on (`--libvirt NAME=URI`), when the monitor knows it. */
  host?: string;
  domain: string;
  uuid: string;
  target: string;
  /** Base layer (pull/commit), when known. */
  base?: string;
  /** Top layer (commit), when known. */
  top?: string;
  /** The disk's active layer when the job started, when known. */
  source?: string;
  /** Seconds since startedAt (until finishedAt for finished jobs). */
  elapsedSeconds: number;
  /** ISO time the job reached a terminal phase; null while active. */
  finishedAt: string | null;
  /** ISO time a copy / active commit first became ready; null otherwise. */
  readyAt: string | null;
  /**
   * For mirrors (copy, active commit): false when end grows as fast as cur (the guest writes
   * faster than the copy), true when the remainder shrinks, null when not known yet / n.a.
   */
  converging: boolean | null;
  /**
   * For a copy whose remaining bytes (end - cur) grew for 30 s: a sentence that says so and what
   * to do (synchronous writes, a higher bandwidth); null otherwise. Always set by the monitor;
   * optional so that jobs built elsewhere (tests, fixtures) need not name it.
   */
  notConverging?: string | null;
  /** Options the job was started with (absent: none, or unknown for an adopted job). */
  options?: JobOptions;
  /** True when blockboard did not start this job (plain virsh, or before a restart). */
  adopted: boolean;
  /**
   * The storage move or live migration this job is a step of (see `owners.ts`): no controls of
   * its own, and its end is recorded by that operation. Absent for a standalone job.
   */
  owner?: JobOwner;
  /** What the end of the job means for the data; null while active. */
  outcome: string | null;
  /**
   * Who started it: a user name (form, API), `terminal (NAME)` for a line typed in the web
   * terminal, or `outside blockboard` (plain virsh, another tool, or before a restart). Always set
   * by the monitor; optional so that jobs built elsewhere (tests, fixtures) need not name it.
   */
  startedBy?: string;
  /** The exact command line blockboard ran to start the job (absent for jobs it adopted). */
  command?: string;
  /**
   * Files that were in the disk's chain when the job started and are not any more (after a
   * pivot, commit or pull), still on the host's disk; absent until known.
   */
  leftChain?: string[];
  /** Of {@link leftChain}, the files a clean-up deleted. */
  cleaned?: string[];
  /** ISO time of the last sample. */
  updatedAt: string;
}

/** True for jobs that have a ready phase and end with pivot or abort. */
export function isMirrorType(type: JobType): boolean {
  return type === "copy" || type === "active-commit";
}

/** cur/end as a percentage floored to one decimal (100 only when cur reaches end). Pure. */
export function percentOf(cur: number, end: number): number {
  if (end <= 0) return 0;
  if (cur >= end) return 100;
  return Math.floor((cur * 1000) / end) / 10;
}

/** Local wall-clock time `HH:MM:SS` for outcome sentences. Pure given the date. */
export function clockTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** What the monitor knows when it writes an outcome. */
export interface OutcomeFacts {
  type: JobType;
  phase: JobPhase;
  dest?: string;
  base?: string;
  top?: string;
  source?: string;
  /** The job had reached ready before it ended. */
  wasReady: boolean;
  /** When it ended. */
  at: Date;
}

/** One sentence on what the end of a job means for the data. Pure. */
export function outcomeSentence(f: OutcomeFacts): string {
  const dest = f.dest ?? "the copy";
  const source = f.source ?? "its previous image";
  const base = f.base ?? "the base layer";
  const top = f.top ?? f.source ?? "the top layer";
  switch (f.phase) {
    case "pivoted":
      return f.type === "active-commit"
        ? `pivoted: the domain now runs on ${base}; the layers above it are no longer used`
        : `pivoted: the domain now runs on ${dest}`;
    case "kept-copy":
      return f.type === "active-commit"
        ? `aborted while synchronized: ${base} holds a consistent image as of ${
          clockTime(f.at)
        }; the domain stays on ${top}`
        : `aborted while mirroring: ${dest} is a consistent image as of ${
          clockTime(f.at)
        }; the domain stays on ${source}`;
    case "completed":
      if (f.type === "pull") {
        return f.base
          ? `completed: ${top} now holds the data of the layers above ${f.base}, which it now backs onto`
          : `completed: the chain was flattened; ${top} holds all the data`;
      }
      if (f.type === "commit") {
        return `completed: the data of ${top} was committed into ${base}, which replaced it in the chain`;
      }
      if (f.type === "copy") return `completed: the domain now runs on ${dest}`;
      if (f.type === "active-commit") return `completed: the domain now runs on ${base}`;
      return "completed";
    case "canceled":
      if (f.type === "copy") {
        return f.wasReady
          ? `aborted while mirroring: ${dest} is a consistent image as of ${
            clockTime(f.at)
          }; the domain stays on ${source}`
          : `canceled before the copy was synchronized: ${dest} is incomplete and not usable; the domain stays on ${source}`;
      }
      if (f.type === "active-commit") {
        return f.wasReady
          ? `aborted while synchronized: ${base} holds a consistent image as of ${
            clockTime(f.at)
          }; the domain stays on ${top}`
          : `canceled: the domain stays on ${top}; ${base} may hold part of the committed data, the chain still reads the same`;
      }
      if (f.type === "commit") {
        return `canceled: the chain is unchanged; ${base} may hold part of the committed data, the chain still reads the same`;
      }
      if (f.type === "pull") {
        return `canceled: the chain is unchanged; data pulled so far stays in ${top}, which is harmless`;
      }
      return "canceled";
    case "failed":
      return `failed: libvirt reported the job as failed; the domain stays on ${source}. See the domain's QEMU log (/var/log/libvirt/qemu/)`;
    case "interrupted":
      return isMirrorType(f.type)
        ? `interrupted: the domain stopped while the job ran; ${
          f.type === "copy" ? dest : base
        } is not a usable result, the domain's own chain is unchanged`
        : "interrupted: the domain stopped while the job ran; the chain is unchanged and still reads the same";
    case "unknown":
      return "ended without an event: blockboard cannot tell whether it completed, failed or was canceled";
    default:
      return "";
  }
}
