/**
 * The audit log: every action (who, role, when, from where, the exact virsh argv, the result),
 * including refused and failed ones. Append-only: this module has no update or delete, and the
 * database triggers refuse them too (only the retention command, `retention.ts`, may remove rows
 * older than its cutoff).
 *
 * Actions are written at once ({@link AuditLog.record}). Refused requests go through
 * {@link AuditLog.recordRefusal}: equal ones are folded into one row with a count (see
 * `aggregate.ts`) and written in batches, by a timer once a second, when the buffer is full, before
 * every read, and by {@link AuditLog.close} at shutdown. The entry types live in `entry.ts`.
 *
 * @module
 */
import { countRow, type ReadRow, rowReader } from "../db_rows.ts";
import { z } from "zod";
import type { Database } from "../db.ts";
import { type Clock, systemClock } from "../security/secrets.ts";
import { csvDocument } from "./csv.ts";
import type { RefusalGroup } from "./aggregate.ts";
import { RefusalBuffer, type RefusalBufferOptions } from "./buffer.ts";
import {
  AUDIT_CSV_COLUMNS,
  AUDIT_RESULTS,
  type AuditEntry,
  type AuditFilter,
  type AuditInput,
  type AuditQuery,
  auditQuerySchema,
  type AuditResult,
} from "./entry.ts";

// The entry types and filters live in entry.ts; callers of the log import them from here too.
export * from "./entry.ts";

/** A row of `audit`. */
const auditRow = rowReader("audit row", {
  id: "integer",
  at: "integer",
  user: "text",
  role: "text",
  client: "text",
  action: "text",
  argv: "text?",
  result: "text",
  message: "text",
  count: "integer",
  last_at: "integer?",
  domain: "text?",
  host: "text?",
});
type AuditRow = ReadRow<typeof auditRow>;

const inputSchema = z.object({
  user: z.string().min(1).max(200),
  role: z.string().min(1).max(50),
  client: z.string().max(200),
  action: z.string().min(1).max(200),
  argv: z.array(z.string()).max(1000).nullish(),
  result: z.enum(AUDIT_RESULTS),
  message: z.string().max(10_000).optional(),
  domain: z.string().max(1000).nullish(),
  host: z.string().max(100).nullish(),
});

/** Options of {@link AuditLog}. */
export interface AuditLogOptions extends RefusalBufferOptions {
  now?: Clock;
}

const INSERT = "INSERT INTO audit (at, user, role, client, action, argv, result, message, count, " +
  "last_at, domain, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** Append-only audit store over the `audit` table. */
export class AuditLog {
  readonly #db: Database;
  readonly #now: Clock;
  readonly #buffer: RefusalBuffer;
  #closed = false;

  constructor(db: Database, options: AuditLogOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
    this.#buffer = new RefusalBuffer((groups) => this.#write(groups), this.#now, options);
  }

  /** Appends one entry at once and returns it as stored. Throws on malformed input. */
  record(input: AuditInput): AuditEntry {
    const valid = inputSchema.parse(input);
    const at = this.#now();
    const argv = valid.argv ? JSON.stringify(valid.argv) : null;
    const domain = valid.domain ?? null;
    const result = this.#db.prepare(INSERT).run(
      at,
      valid.user,
      valid.role,
      valid.client,
      valid.action,
      argv,
      valid.result,
      valid.message ?? "",
      1,
      null,
      domain,
      valid.host ?? null,
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
      count: 1,
      lastAt: at,
      domain,
      host: valid.host ?? null,
    };
  }

  /**
   * Notes a refused or failed request without writing it yet: equal refusals within the window
   * become one row with a count (argv is not kept: a refused request ran no virsh). Cheap enough
   * for every request of a flood. Throws on malformed input; after {@link close} it writes at once.
   */
  recordRefusal(input: AuditInput & { result: "refused" | "failed" }): void {
    const valid = inputSchema.parse(input);
    const fields = {
      user: valid.user,
      role: valid.role,
      client: valid.client,
      action: valid.action,
      result: input.result,
      message: valid.message ?? "",
      domain: valid.domain ?? null,
    };
    if (this.#closed) this.record(fields);
    else this.#buffer.add(fields);
  }

  /** Writes every buffered refusal now, in one transaction. Reads call it first. */
  flush(): void {
    this.#buffer.flush();
  }

  /**
   * Writes what is buffered and stops the timer; the server's shutdown calls it after the last
   * request. Refusals noted later are written one by one.
   */
  close(): void {
    this.#closed = true;
    this.#buffer.close();
  }

  /** Refusals buffered and not yet written (rows, not requests). */
  get pending(): number {
    return this.#buffer.size;
  }

  /** Inserts folded rows in one transaction: one journal sync instead of one per row. */
  #write(groups: RefusalGroup[]): void {
    if (groups.length === 0) return;
    const insert = this.#db.prepare(INSERT);
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      for (const g of groups) {
        insert.run(
          g.first,
          g.user,
          g.role,
          g.client,
          g.action,
          null,
          g.result,
          g.message,
          g.count,
          g.count > 1 ? g.last : null,
          g.domain,
          null,
        );
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Matching entries, newest first, one page of them, plus how many match in total. */
  query(query: AuditQuery = {}): { entries: AuditEntry[]; total: number } {
    const valid = auditQuerySchema.parse(query);
    this.flush();
    const { where, params } = whereClause(valid);
    const total =
      countRow.check(this.#db.prepare(`SELECT COUNT(*) AS n FROM audit ${where}`).get(...params))
        .n;
    const rows = auditRow.all(
      this.#db.prepare(`SELECT * FROM audit ${where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`)
        .all(...params, valid.limit, valid.offset),
    );
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
        entry.count,
        new Date(entry.lastAt).toISOString(),
        entry.domain,
      ]),
    );
  }

  /** Every matching entry (newest first) as a JSON array; `time` is added in ISO 8601. */
  exportJson(filter: AuditFilter = {}): string {
    const entries = [...mapIterable(this.#iterate(filter), (entry) => ({
      ...entry,
      time: new Date(entry.at).toISOString(),
      lastTime: new Date(entry.lastAt).toISOString(),
    }))];
    return JSON.stringify(entries, null, 2);
  }

  *#iterate(filter: AuditFilter): Iterable<AuditEntry> {
    const valid = auditQuerySchema.parse({ ...filter, limit: 1, offset: 0 });
    this.flush();
    const { where, params } = whereClause(valid);
    const statement = this.#db.prepare(`SELECT * FROM audit ${where} ORDER BY at DESC, id DESC`);
    for (const row of statement.iterate(...params)) yield toEntry(auditRow.check(row));
  }
}

function whereClause(
  query: z.output<typeof auditQuerySchema>,
): { where: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  if (query.user !== undefined) (conditions.push("user = ?"), params.push(query.user));
  if (query.action !== undefined) {
    // instr, not LIKE: `%` and `_` in the filter are plain characters.
    conditions.push("instr(lower(action), lower(?)) > 0");
    params.push(query.action);
  }
  if (query.result !== undefined) (conditions.push("result = ?"), params.push(query.result));
  if (query.domain !== undefined) (conditions.push("domain = ?"), params.push(query.domain));
  if (query.since !== undefined) {
    conditions.push("coalesce(last_at, at) >= ?");
    params.push(query.since);
  }
  if (query.until !== undefined) (conditions.push("at < ?"), params.push(query.until));
  return { where: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/** A stored result, checked (the table's CHECK constraint keeps others out). */
function auditResultOf(value: string): AuditResult {
  const result = AUDIT_RESULTS.find((r) => r === value);
  if (!result) throw new TypeError(`audit row: unknown result ${JSON.stringify(value)}`);
  return result;
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
    result: auditResultOf(row.result),
    message: row.message,
    count: row.count,
    lastAt: row.last_at ?? row.at,
    domain: row.domain,
    host: row.host,
  };
}

function* mapIterable<T, U>(items: Iterable<T>, map: (item: T) => U): Iterable<U> {
  for (const item of items) yield map(item);
}
