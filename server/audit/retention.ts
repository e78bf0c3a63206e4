/**
 * Audit retention: removes entries older than a cutoff, the one way rows ever leave the audit
 * log. The database allows it only inside the transaction that sets a one-row permission
 * (`audit_retention`, see the migrations in `db.ts`); revoking that permission makes the database
 * itself append the `audit.prune` entry saying who removed how many rows. The web application
 * never calls this: only `deno task audit prune` does.
 *
 * @module
 */
import type { Database } from "../db.ts";

/** Shortest retention the command accepts (the database also refuses anything under a day). */
export const MIN_RETENTION_DAYS = 1;

/** What a prune needs. */
export interface PruneRequest {
  /** Entries whose last time is before this (ms since the epoch) are removed. */
  cutoff: number;
  /** Now (ms since the epoch), the time of the `audit.prune` entry. */
  at: number;
  /** Who runs it (operating-system user). */
  actor: string;
  /** Where from (host name). */
  client: string;
  /** The command line as typed, recorded in the entry's message. */
  command: string;
}

/** Removes entries last seen before `cutoff` and returns how many; audited by the database. */
export function pruneAudit(db: Database, request: PruneRequest): number {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.prepare(
      "INSERT INTO audit_retention (id, cutoff, at, actor, client, command) VALUES (1, ?, ?, ?, ?, ?)",
    ).run(request.cutoff, request.at, request.actor, request.client, request.command);
    db.prepare("DELETE FROM audit WHERE coalesce(last_at, at) < ?").run(request.cutoff);
    const { deleted } = db.prepare("SELECT deleted FROM audit_retention").get() as {
      deleted: number;
    };
    // Revoking the permission appends the audit.prune entry (trigger audit_retention_revoked).
    db.exec("DELETE FROM audit_retention");
    db.exec("COMMIT");
    return deleted;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
