/**
 * Job history: every finished block job (type, domain, disk, who started it, when, outcome, final
 * numbers, the files that left the chain) in the database, so outcomes survive a restart and the
 * API can list them. The monitor calls {@link JobHistory.save} when a job ends.
 *
 * @module
 */
import { z } from "zod";
import type { Database } from "../db.ts";
import { domainNameSchema } from "../virsh/values.ts";
import {
  type Job,
  JOB_PHASES,
  JOB_TYPES,
  type JobPhase,
  type JobType,
  STARTED_OUTSIDE,
} from "./model.ts";

/** One finished job as stored and as `GET /api/v1/jobs` returns it. */
export interface JobRecord {
  id: number;
  /** The dashboard host the job ran on. */
  host: string;
  type: JobType;
  /** Host-local domain UUID and the name it had. */
  uuid: string;
  domain: string;
  target: string;
  /** See `Job.startedBy`. */
  startedBy: string;
  /** ISO times. */
  startedAt: string;
  finishedAt: string;
  phase: JobPhase;
  outcome: string;
  message: string;
  /** Final progress counters and bandwidth limit (bytes, bytes/s). */
  cur: number;
  end: number;
  bandwidthBytes: number;
  dest: string | null;
  /** Files that left the disk's chain (see `Job.leftChain`). */
  leftChain: string[];
  /** Of those, the files a clean-up deleted. */
  cleaned: string[];
}

/** `GET /api/v1/jobs` query: `domain` (name or UUID) and `limit` (1..500, default 50). */
export const jobHistoryQuerySchema = z.strictObject({
  domain: domainNameSchema.optional(),
  limit: z.string().regex(/^[0-9]{1,3}$/, "limit is a whole number from 1 to 500")
    .transform(Number)
    .pipe(z.number().int().min(1, "limit is at least 1").max(500, "limit is at most 500"))
    .default(50),
});

/** Parsed {@link jobHistoryQuerySchema}. */
export type JobHistoryQuery = z.output<typeof jobHistoryQuerySchema>;

/** A JSON array of file paths, as `left_chain` and `cleaned` hold it. */
const pathListColumn = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "not JSON" });
    return z.NEVER;
  }
}).pipe(z.array(z.string()));

/**
 * One `job_history` row as SQLite returns it, checked at run time (a column renamed or a value
 * written by another version fails loudly here instead of spreading as a wrong type).
 */
const rowSchema = z.object({
  id: z.number().int(),
  host: z.string(),
  uuid: z.string(),
  domain: z.string(),
  target: z.string(),
  type: z.enum(JOB_TYPES),
  started_by: z.string(),
  started_at: z.number(),
  finished_at: z.number(),
  phase: z.enum(JOB_PHASES),
  outcome: z.string(),
  message: z.string(),
  cur: z.number(),
  end: z.number(),
  bandwidth: z.number(),
  dest: z.string().nullable(),
  left_chain: pathListColumn,
  cleaned: pathListColumn,
});

/** A row read from the table as a {@link JobRecord}; throws when the row is not one. */
function readRow(row: unknown): JobRecord {
  const r = rowSchema.parse(row);
  return {
    id: r.id,
    host: r.host,
    type: r.type,
    uuid: r.uuid,
    domain: r.domain,
    target: r.target,
    startedBy: r.started_by,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: new Date(r.finished_at).toISOString(),
    phase: r.phase,
    outcome: r.outcome,
    message: r.message,
    cur: r.cur,
    end: r.end,
    bandwidthBytes: r.bandwidth,
    dest: r.dest,
    leftChain: r.left_chain,
    cleaned: r.cleaned,
  };
}

const COLUMNS =
  `id, host, uuid, domain, target, type, started_by, started_at, finished_at, phase, outcome,
  message, cur, "end", bandwidth, dest, left_chain, cleaned`;

/** The `job_history` table. */
export class JobHistory {
  readonly #db: Database;
  readonly #host: string;

  /** The history of the jobs of `host` (each host's monitor keeps its own rows). */
  constructor(db: Database, host = "local") {
    this.#db = db;
    this.#host = host;
  }

  /**
   * Stores a finished job; with `id` (the same job settled again, e.g. a late event) it
   * rewrites that row instead. Returns the row id.
   */
  save(job: Job, id?: number): number {
    const values = [
      job.uuid,
      job.domain,
      job.target,
      job.type,
      job.startedBy ?? STARTED_OUTSIDE,
      Date.parse(job.startedAt),
      Date.parse(job.finishedAt ?? job.updatedAt),
      job.phase,
      job.outcome ?? "",
      job.message ?? "",
      job.cur,
      job.end,
      job.bandwidthBytes,
      job.dest ?? null,
      JSON.stringify(job.leftChain ?? []),
      JSON.stringify(job.cleaned ?? []),
      this.#host,
    ];
    if (id !== undefined) {
      this.#db.prepare(
        `UPDATE job_history SET uuid = ?, domain = ?, target = ?, type = ?, started_by = ?,
          started_at = ?, finished_at = ?, phase = ?, outcome = ?, message = ?, cur = ?, "end" = ?,
          bandwidth = ?, dest = ?, left_chain = ?, cleaned = ?, host = ? WHERE id = ?`,
      ).run(...values, id);
      return id;
    }
    const r = this.#db.prepare(
      `INSERT INTO job_history (uuid, domain, target, type, started_by, started_at, finished_at,
        phase, outcome, message, cur, "end", bandwidth, dest, left_chain, cleaned, host)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...values);
    return Number(r.lastInsertRowid);
  }

  /** Records files a clean-up deleted for the job `id`. */
  addCleaned(id: number, files: readonly string[]): void {
    const row = this.get(id);
    if (!row) return;
    const cleaned = [...new Set([...row.cleaned, ...files])];
    this.#db.prepare("UPDATE job_history SET cleaned = ? WHERE id = ?")
      .run(JSON.stringify(cleaned), id);
  }

  /** One record, or null. */
  get(id: number): JobRecord | null {
    const row = this.#db.prepare(`SELECT ${COLUMNS} FROM job_history WHERE id = ? AND host = ?`)
      .get(id, this.#host);
    return row ? readRow(row) : null;
  }

  /** The disk's last `limit` jobs, newest first. */
  recent(uuid: string, target: string, limit = 5): JobRecord[] {
    return (this.#db.prepare(
      `SELECT ${COLUMNS} FROM job_history WHERE uuid = ? AND target = ? AND host = ?
        ORDER BY finished_at DESC, id DESC LIMIT ?`,
    ).all(uuid, target, this.#host, limit)).map(readRow);
  }

  /** Newest first; `domain` matches the UUID or the name the domain had. */
  list(query: JobHistoryQuery): JobRecord[] {
    const rows = query.domain === undefined
      ? this.#db.prepare(
        `SELECT ${COLUMNS} FROM job_history WHERE host = ?
          ORDER BY finished_at DESC, id DESC LIMIT ?`,
      ).all(this.#host, query.limit)
      : this.#db.prepare(
        `SELECT ${COLUMNS} FROM job_history WHERE host = ? AND (uuid = ? OR domain = ?)
          ORDER BY finished_at DESC, id DESC LIMIT ?`,
      ).all(this.#host, query.domain, query.domain, query.limit);
    return rows.map(readRow);
  }
}
