/**
 * Migration history: every finished migration in the database, so outcomes survive a restart and
 * `GET …/migration` can answer for a domain that moved before it; and every migration still
 * running, stored when it starts with the target volumes it may leave, so the next start of
 * blockboard settles one a restart interrupted. The tables are this module's own (created on first
 * use), apart from the block-job history.
 *
 * @module
 */
import { z } from "zod";
import type { Database } from "../db.ts";
import { type Migration, migrationSchema } from "./model.ts";

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
  CREATE TABLE IF NOT EXISTS migration_unfinished (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
  );
`;

/** A volume on the target host a migration makes (libvirt's pre-created disk, or blockboard's). */
export interface TargetVolumeRef {
  pool: string;
  name: string;
}

/** A migration stored when it started and not finished yet. */
export interface UnfinishedMigration {
  migration: Migration;
  /** What to delete on the target when it did not land there. */
  targetVolumes: TargetVolumeRef[];
}

const unfinishedSchema = z.object({
  migration: migrationSchema,
  targetVolumes: z.array(z.object({ pool: z.string(), name: z.string() })),
});

const rowSchema = z.object({ json: z.string() });

/** The `migration_history` table. */
export class MigrationHistory {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    db.exec(TABLE);
  }

  /** Stores a migration as it starts, with the target volumes it may leave behind. */
  begin(m: Migration, targetVolumes: readonly TargetVolumeRef[]): void {
    this.#db.prepare(`INSERT OR REPLACE INTO migration_unfinished (id, json) VALUES (?, ?)`)
      .run(m.id, JSON.stringify({ migration: m, targetVolumes }));
  }

  /** Migrations started and not finished (a restart came between), oldest first. */
  unfinished(): UnfinishedMigration[] {
    return this.#db.prepare(`SELECT json FROM migration_unfinished ORDER BY rowid`).all()
      .map((row) => {
        const parsed = unfinishedSchema.parse(JSON.parse(rowSchema.parse(row).json));
        return {
          migration: parsed.migration,
          targetVolumes: parsed.targetVolumes,
        };
      });
  }

  /** Stores (or rewrites) a finished migration; it is no longer unfinished. */
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
    // After the outcome is stored: a failure between the two leaves it for the next start.
    this.#db.prepare(`DELETE FROM migration_unfinished WHERE id = ?`).run(m.id);
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

  /**
   * Finished migrations that left `host` or landed on it (completed), newest first, up to
   * `limit`; `domain` (name or UUID) narrows them to one domain.
   */
  forHost(host: string, domain: string | undefined, limit: number): Migration[] {
    const where = `(from_host = ? OR (to_host = ? AND phase = 'completed'))`;
    const rows = domain === undefined
      ? this.#db.prepare(
        `SELECT json FROM migration_history WHERE ${where} ORDER BY finished_at DESC LIMIT ?`,
      ).all(host, host, limit)
      : this.#db.prepare(
        `SELECT json FROM migration_history WHERE ${where} AND (uuid = ? OR domain = ?)
          ORDER BY finished_at DESC LIMIT ?`,
      ).all(host, host, domain, domain, limit);
    return rows.map((row) => JSON.parse(rowSchema.parse(row).json) as Migration);
  }

  /** Newest first, up to `limit`. */
  list(limit = 50): Migration[] {
    return this.#db.prepare(
      `SELECT json FROM migration_history ORDER BY finished_at DESC LIMIT ?`,
    ).all(limit).map((row) => JSON.parse(rowSchema.parse(row).json) as Migration);
  }
}
