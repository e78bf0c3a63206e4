/**
 * The audit log: every action (who, role, when, from where, the exact virsh argv, the result),
 * including refused and failed ones. Append-only: this module has no update or delete, and the
 * database triggers refuse them too.
 *
 * @module
 */
import { z } from "zod";
import type { Database } from "../db.ts";
import { type Clock, systemClock } from "../security/secrets.ts";
import { csvDocument } from "./csv.ts";

/** How an action ended. */
export const AUDIT_RESULTS = ["ok", "refused", "failed"] as const;

/** One of {@link AUDIT_RESULTS}. */
export type AuditResult = typeof AUDIT_RESULTS[number];

/** What a caller records. */
export interface AuditInput {
  /** User name, `token:<name>`, `local` (open mode) or `anonymous`. */
  user: string;
  /** The caller's role, or `none` for anonymous. */
  role: string;
  /** Client address. */
  client: string;
  /** What was attempted, e.g. `job.pivot`, `login`, `terminal`. */
  action: string;
  /** The exact virsh argv (without the binary), when a virsh call was made or refused. */
  argv?: readonly string[] | null;
  result: AuditResult;
  /** Outcome in words (error message, refusal reason). */
  message?: string;
}

/** A stored entry. */
export interface AuditEntry {
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  user: string;
  role: string;
  client: string;
  action: string;
  argv: string[] | null;
  result: AuditResult;
  message: string;
}

/** Filter and page for {@link AuditLog.query}. */
export const auditQuerySchema = z.object({
  user: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  result: z.enum(AUDIT_RESULTS).optional(),
  /** Inclusive lower bound, ms since the epoch. */
  since: z.number().int().nonnegative().optional(),
  /** Exclusive upper bound, ms since the epoch. */
  until: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
});

/** Input of {@link AuditLog.query}. */
export type AuditQuery = z.input<typeof auditQuerySchema>;

/** Filter of the exports (everything matching, no paging). */
export type AuditFilter = Omit<AuditQuery, "limit" | "offset">;

/** Columns of the CSV export, in order. */
export const AUDIT_CSV_COLUMNS = [
  "id",
  "time",
  "user",
  "role",
  "client",
  "action",
  "argv",
  "result",
  "message",
] as const;

interface AuditRow {
  id: number;
  at: number;
  user: string;
  role: string;
  client: string;
  action: string;
  argv: string | null;
  result: string;
  message: string;
}

const inputSchema = z.object({
  user: z.string().min(1).max(200),
  role: z.string().min(1).max(50),
  client: z.string().max(200),
  action: z.string().min(1).max(200),
  argv: z.array(z.string()).max(1000).nullish(),
  result: z.enum(AUDIT_RESULTS),
  message: z.string().max(10_000).optional(),
});

/** Append-only audit store over the `audit` table. */
export class AuditLog {
  readonly #db: Database;
  readonly #now: Clock;

  constructor(db: Database, options: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
  }

  /** Appends one entry and returns it as stored. Throws on malformed input. */
  record(input: AuditInput): AuditEntry {
    const valid = inputSchema.parse(input);
    const at = this.#now();
    const argv = valid.argv ? JSON.stringify(valid.argv) : null;
    const result = this.#db.prepare(
      "INSERT INTO audit (at, user, role, client, action, argv, result, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      at,
      valid.user,
      valid.role,
      valid.client,
      valid.action,
      argv,
      valid.result,
      valid.message ?? "",
    );
    return {
      id: Number(result.lastInsertRowid),
      at,
      user: valid.user,
      role: valid.role,
      client: valid.client,
      action: valid.action,
      argv: valid.argv ? [...valid.argv] : null,
      result: valid.result,
      message: valid.message ?? "",
    };
  }

  /** Matching entries, newest first, one page of them, plus how many match in total. */
  query(query: AuditQuery = {}): { entries: AuditEntry[]; total: number } {
    const valid = auditQuerySchema.parse(query);
    const { where, params } = whereClause(valid);
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n FROM audit ${where}`).get(...params) as {
      n: number;
    }).n;
    const rows = this.#db.prepare(
      `SELECT * FROM audit ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
    ).all(...params, valid.limit, valid.offset) as unknown as AuditRow[];
    return { entries: rows.map(toEntry), total };
  }

  /** Every matching entry (newest first) as CSV with a header row. */
  exportCsv(filter: AuditFilter = {}): string {
    return csvDocument(
      AUDIT_CSV_COLUMNS,
      mapIterable(this.#iterate(filter), (entry) => [
        entry.id,
        new Date(entry.at).toISOString(),
        entry.user,
        entry.role,
        entry.client,
        entry.action,
        entry.argv ? JSON.stringify(entry.argv) : "",
        entry.result,
        entry.message,
      ]),
    );
  }

  /** Every matching entry (newest first) as a JSON array; `time` is added in ISO 8601. */
  exportJson(filter: AuditFilter = {}): string {
    const entries = [...mapIterable(this.#iterate(filter), (entry) => ({
      ...entry,
      time: new Date(entry.at).toISOString(),
    }))];
    return JSON.stringify(entries, null, 2);
  }

  *#iterate(filter: AuditFilter): Iterable<AuditEntry> {
    const valid = auditQuerySchema.parse({ ...filter, limit: 1, offset: 0 });
    const { where, params } = whereClause(valid);
    const statement = this.#db.prepare(`SELECT * FROM audit ${where} ORDER BY id DESC`);
    for (const row of statement.iterate(...params)) yield toEntry(row as unknown as AuditRow);
  }
}

function whereClause(
  query: z.output<typeof auditQuerySchema>,
): { where: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  if (query.user !== undefined) (conditions.push("user = ?"), params.push(query.user));
  if (query.action !== undefined) (conditions.push("action = ?"), params.push(query.action));
  if (query.result !== undefined) (conditions.push("result = ?"), params.push(query.result));
  if (query.since !== undefined) (conditions.push("at >= ?"), params.push(query.since));
  if (query.until !== undefined) (conditions.push("at < ?"), params.push(query.until));
  return { where: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    user: row.user,
    role: row.role,
    client: row.client,
    action: row.action,
    argv: row.argv === null ? null : JSON.parse(row.argv),
    result: row.result as AuditResult,
    message: row.message,
  };
}

function* mapIterable<T, U>(items: Iterable<T>, map: (item: T) => U): Iterable<U> {
  for (const item of items) yield map(item);
}
