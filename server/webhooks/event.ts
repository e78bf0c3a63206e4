/**
 * What a webhook says. A job event's body is `{event, host, job, at}`, `job` exactly as
 * `GET .../job` returns it; a live migration's `{event: "migration.KIND", host, migration, at}`
 * (`host`: the source); a storage move's `{event: "move.KIND", host, move, at}`. Job events keep
 * their bare names (`started`, `ready`, an end phase), so receivers written for them still work.
 *
 * @module
 */
import type { Job, JobPhase } from "../jobs/model.ts";
import type { JobTransition } from "../jobs/transitions.ts";
import type { Migration } from "../migrations/model.ts";
import type { MigrationEvent, MigrationEventKind } from "../migrations/events.ts";
import type { Move } from "../moves/model.ts";
import type { MoveEvent, MoveEventKind } from "../moves/events.ts";

/**
 * `started`, `ready`, or the phase the job ended in: `completed`, `pivoted`, `kept-copy` (a ready
 * copy aborted on purpose), `canceled`, `failed`, `interrupted` (the domain stopped), `unknown`.
 */
export type JobWebhookEvent = "started" | "ready" | Exclude<JobPhase, "running">;

/** Any event a receiver may get. */
export type WebhookEvent =
  | JobWebhookEvent
  | `migration.${MigrationEventKind}`
  | `move.${MoveEventKind}`;

/** What every body holds. */
interface PayloadBase {
  /** The libvirt host it happens on (a migration: the source). */
  host: string;
  /** ISO time of the event. */
  at: string;
}

/** The body of a job event. */
export interface JobWebhookPayload extends PayloadBase {
  event: JobWebhookEvent;
  job: Job;
}

/** The body of a live migration event. */
export interface MigrationWebhookPayload extends PayloadBase {
  event: `migration.${MigrationEventKind}`;
  migration: Migration;
}

/** The body of a storage move event. */
export interface MoveWebhookPayload extends PayloadBase {
  event: `move.${MoveEventKind}`;
  move: Move;
}

/** The body of a delivery. */
export type WebhookPayload = JobWebhookPayload | MigrationWebhookPayload | MoveWebhookPayload;

/** The event a transition is announced as. Pure. */
export function eventOf(t: JobTransition): JobWebhookEvent {
  if (t.kind === "started") return "started";
  if (t.kind === "ready") return "ready";
  // An end is announced by its phase; an end in an active phase cannot happen (see the book).
  return t.job.phase === "running" ? "unknown" : t.job.phase;
}

const iso = (now: number) => new Date(now).toISOString();

/** The payload of transition `t` on `host` at `now` (ms). Pure. */
export function payloadOf(t: JobTransition, host: string, now: number): JobWebhookPayload {
  return { event: eventOf(t), host, job: t.job, at: iso(now) };
}

/** The payload of a migration event at `now` (ms); its host is the source. Pure. */
export function migrationPayloadOf(e: MigrationEvent, now: number): MigrationWebhookPayload {
  return {
    event: `migration.${e.kind}`,
    host: e.migration.from,
    migration: e.migration,
    at: iso(now),
  };
}

/** The payload of a move event on `host` at `now` (ms). Pure. */
export function movePayloadOf(e: MoveEvent, host: string, now: number): MoveWebhookPayload {
  return { event: `move.${e.kind}`, host, move: e.move, at: iso(now) };
}

/**
 * What a payload is about, for the audit log: its domain and a phrase (`the copy job on web-1
 * vda on host hv1`). Pure.
 */
export function subjectOf(p: WebhookPayload): { domain: string; phrase: string } {
  if ("job" in p) {
    return {
      domain: p.job.domain,
      phrase: `the ${p.job.type} job on ${p.job.domain} ${p.job.target} on host ${p.host}`,
    };
  }
  if ("migration" in p) {
    const m = p.migration;
    return { domain: m.domain, phrase: `the migration of ${m.domain} from ${m.from} to ${m.to}` };
  }
  return {
    domain: p.move.domain,
    phrase: `the storage move of ${p.move.domain} to ${p.move.destDir} on host ${p.host}`,
  };
}
