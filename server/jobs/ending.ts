/**
 * How a job's end maps to a phase: the one rule for an abort (a ready copy stays a consistent
 * copy: `kept-copy`) and for a terminal `block-job-2` event, so the event listener and the
 * abort operation cannot disagree. Pure.
 *
 * @module
 */
import { isMirrorType, type JobPhase, type JobType } from "./model.ts";

/** Operator intent recorded before a pivot/abort, so the terminal event maps to the right phase. */
export type JobIntent = "pivot" | "abort" | "keep-copy";

/** What decides the phase after an abort. */
export interface AbortFacts {
  type: JobType;
  /** The job had reached ready (mirroring / synchronized) before the abort. */
  wasReady: boolean;
  /** What the operator asked for; null when the abort came from outside blockboard. */
  intent: JobIntent | null;
}

/**
 * The phase of a job that was aborted (libvirt reports it as `canceled`). A ready copy is a
 * consistent image whatever the operator meant, so it is `kept-copy`; a ready active commit only
 * when the operator asked to keep it (else its base merely holds part of the data). Pure.
 */
export function phaseAfterAbort(f: AbortFacts): JobPhase {
  return f.wasReady && (f.intent === "keep-copy" || f.type === "copy") ? "kept-copy" : "canceled";
}

/** The phase a terminal `block-job-2` status means for the job. Pure. */
export function phaseForEvent(
  status: "completed" | "failed" | "canceled",
  f: AbortFacts,
): JobPhase {
  if (status === "failed") return "failed";
  if (status === "completed") return isMirrorType(f.type) ? "pivoted" : "completed";
  return phaseAfterAbort(f);
}
