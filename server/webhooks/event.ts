/**
 * What a webhook says: the event name of a job transition and the JSON body
 * `{event, host, job, at}`, where `job` is the job exactly as `GET .../job` returns it.
 *
 * @module
 */
import type { Job, JobPhase } from "../jobs/model.ts";
import type { JobTransition } from "../jobs/transitions.ts";

/**
 * `started`, `ready`, or the phase the job ended in: `completed`, `pivoted`, `kept-copy` (a ready
 * copy aborted on purpose), `canceled`, `failed`, `interrupted` (the domain stopped), `unknown`.
 */
export type WebhookEvent = "started" | "ready" | Exclude<JobPhase, "running">;

/** The body of a delivery. */
export interface WebhookPayload {
  event: WebhookEvent;
  /** The libvirt host the job runs on. */
  host: string;
  job: Job;
  /** ISO time of the transition. */
  at: string;
}

/** The event a transition is announced as. Pure. */
export function eventOf(t: JobTransition): WebhookEvent {
  if (t.kind === "started") return "started";
  if (t.kind === "ready") return "ready";
  // An end is announced by its phase; an end in an active phase cannot happen (see the book).
  return t.job.phase === "running" ? "unknown" : t.job.phase;
}

/** The payload of transition `t` on `host` at `now` (ms). Pure. */
export function payloadOf(t: JobTransition, host: string, now: number): WebhookPayload {
  return { event: eventOf(t), host, job: t.job, at: new Date(now).toISOString() };
}
