/**
 * Finished migrations in the job history: each one read from `migration_history` (never copied
 * into `job_history`) as a history entry of type `migration`, shaped like a block job's
 * `JobRecord` where the fields agree, merged with the finished block jobs newest first, for
 * `GET /api/v1/jobs` and the Recent jobs of the migrated domain's disks. A host lists the
 * migrations that left it and those that landed on it.
 *
 * @module
 */
import { z } from "zod";
import type { JobRecord } from "../jobs/history.ts";
import { STARTED_OUTSIDE } from "../jobs/model.ts";
import type { Migration } from "./model.ts";

/** A finished migration as a history entry. */
export interface MigrationHistoryRecord {
  type: "migration";
  /** The migration's id. */
  id: string;
  /** The dashboard host whose history lists it (its source, or its target once landed). */
  host: string;
  uuid: string;
  domain: string;
  /** Source and target hosts. */
  from: string;
  to: string;
  storage: "all" | "inc";
  startedBy: string;
  /** ISO times. */
  startedAt: string;
  finishedAt: string;
  phase: "completed" | "failed" | "aborted";
  /** In a few words: `migrated a → b`, `failed`, `aborted`. */
  outcome: string;
  /** The migration's sentence (where the domain is, what libvirt said). */
  message: string;
  /** Bytes processed and total (memory plus disks). */
  cur: number;
  end: number;
  /** The limit asked for (bytes/s; 0: none). */
  bandwidthBytes: number;
}

/** {@link MigrationHistoryRecord} as a zod schema (OpenAPI of `GET /api/v1/jobs`). */
export const migrationHistoryRecordSchema = z.object({
  type: z.literal("migration"),
  id: z.string(),
  host: z.string(),
  uuid: z.string(),
  domain: z.string(),
  from: z.string(),
  to: z.string(),
  storage: z.enum(["all", "inc"]),
  startedBy: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  phase: z.enum(["completed", "failed", "aborted"]),
  outcome: z.string(),
  message: z.string(),
  cur: z.number(),
  end: z.number(),
  bandwidthBytes: z.number(),
}) satisfies z.ZodType<MigrationHistoryRecord>;

/** A block job's or a migration's history entry. */
export type JobOrMigrationRecord = JobRecord | MigrationHistoryRecord;

/** True for a migration's entry. Pure. */
export function isMigrationRecord(
  entry: { type: string },
): entry is MigrationHistoryRecord {
  return entry.type === "migration";
}

/** A finished migration as `host`'s history entry; null while it runs. Pure. */
export function migrationHistoryRecord(m: Migration, host: string): MigrationHistoryRecord | null {
  if (m.phase !== "completed" && m.phase !== "failed" && m.phase !== "aborted") return null;
  if (m.finishedAt === null) return null;
  return {
    type: "migration",
    id: m.id,
    host,
    uuid: m.uuid,
    domain: m.domain,
    from: m.from,
    to: m.to,
    storage: m.storage,
    startedBy: m.startedBy ?? STARTED_OUTSIDE,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    phase: m.phase,
    outcome: m.phase === "completed" ? `migrated ${m.from} → ${m.to}` : m.phase,
    message: m.message,
    cur: m.dataProcessed,
    end: m.dataTotal,
    bandwidthBytes: m.bandwidthBytes,
  };
}

/** Where a host's finished migrations are read from (the migration service). */
export interface MigrationRecords {
  /** Newest first; `domain` matches the UUID or the name it had. */
  finished(host: string, query: { domain?: string; limit: number }): MigrationHistoryRecord[];
}
