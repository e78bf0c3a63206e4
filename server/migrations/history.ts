/**
 * Migration history: every finished migration in the database, so outcomes survive a restart and
 * `GET …/migration` can answer for a domain that moved before it. The table is this module's own
 * (created on first use), apart from the block-job history.
 *
 * @module
 */
import { z } from "zod";
import type { Database } from "../db.ts";
import type { Migration } from "./model.ts";

const TABLE = `
  CREATE TABLE IF NOT EXISTS migration_history (
    id TEXT PRIMARY KEY,
    uuid TEXT NOT NULL,
    domain TEXT NOT NULL,
    from_host TEXT NOT NULL,
    to_host TEXT NOT NULL,
    phase TEXT NOT NULL,
    finished_at INTEGER NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS migration_history_from ON migration_history(from_host, domain, finished_at);
  CREATE INDEX IF NOT EXISTS migration_history_to ON migration_history(to_host, domain, finished_at);
`;

const rowSchema = z.object({ json: z.string() });

/** The `migration_history` table. */
export class MigrationHistory {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    db.exec(TABLE);
  }

  /** Stores (or rewrites) a finished migration. */
  save(m: Migration): void {
    this.#db.prepare(
      `INSERT OR REPLACE INTO migration_history
        (id, uuid, domain, from_host, to_host, phase, finished_at, json)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      m.id,
      m.uuid,
      m.domain,
      m.from,
      m.to,
      m.phase,
      Date.parse(m.finishedAt ?? new Date().toISOString()),
      JSON.stringify(m),
    );
  }

  /**
   * The newest finished migration of `domain` (name or UUID) that left `host`, or that landed on
   * it (completed only); null when none.
   */
  latest(host: string, domain: string): Migration | null {
    const row = this.#db.prepare(
      `SELECT json FROM migration_history
        WHERE (uuid = ? OR domain = ?) AND (from_host = ? OR (to_host = ? AND phase = 'completed'))
        ORDER BY finished_at DESC LIMIT 1`,
    ).get(domain, domain, host, host);
    return row ? JSON.parse(rowSchema.parse(row).json) as Migration : null;
  }

  /** Newest first, up to `limit`. */
  list(limit = 50): Migration[] {
    return this.#db.prepare(
      `SELECT json FROM migration_history ORDER BY finished_at DESC LIMIT ?`,
    ).all(limit).map((row) => JSON.parse(rowSchema.parse(row).json) as Migration);
  }
}
