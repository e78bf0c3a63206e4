/**
 * The job history as operators read it: finished block jobs (`job_history`), finished storage
 * moves (`type: "move"`, from the moves store) and finished live migrations (`type: "migration"`,
 * from the migration service), merged newest end first, for `GET /api/v1/jobs` and the Recent
 * jobs under each disk.
 *
 * @module
 */
import type { JobHistoryQuery, JobRecord } from "./history.ts";
import { isMoveEntry, type MoveHistoryRecord, moveHistoryRecord } from "../moves/history.ts";
import type { Move, MoveService } from "../moves/model.ts";
import { isMigrationRecord, type MigrationHistoryRecord } from "../migrations/job_history.ts";

/** A history entry: a finished block job, storage move or live migration. */
export type HistoryEntry = JobRecord | MoveHistoryRecord | MigrationHistoryRecord;

/** True for a block job's own entry (not a move's or a migration's). Pure. */
export function isJobRecord(entry: HistoryEntry): entry is JobRecord {
  return !isMoveEntry(entry) && !isMigrationRecord(entry);
}

/** Entries of several histories together, newest end first, at most `limit`. Pure. */
export function mergeHistory(
  lists: readonly (readonly HistoryEntry[])[],
  limit: number,
): HistoryEntry[] {
  return lists.flat()
    .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))
    .slice(0, limit);
}

/** Where finished jobs, moves and migrations are read from (each may be absent). */
export interface HistorySources {
  history?: {
    list(query: JobHistoryQuery): JobRecord[];
    recent(uuid: string, target: string, limit?: number): JobRecord[];
  } | null;
  moves?: Pick<MoveService, "list"> | null;
  /** This host's finished migrations, newest first; `domain` is a UUID or the name it had. */
  migrations?: ((query: { domain?: string; limit: number }) => MigrationHistoryRecord[]) | null;
}

function finishedMoves(sources: HistorySources, keep: (move: Move) => boolean) {
  return (sources.moves?.list() ?? []).filter(keep).flatMap((m) => {
    const r = moveHistoryRecord(m);
    return r ? [r] : [];
  });
}

/** `GET /api/v1/jobs`: jobs, moves and migrations, `domain` matching the UUID or its old name. */
export function listHistory(sources: HistorySources, query: JobHistoryQuery): HistoryEntry[] {
  const domain = query.domain;
  return mergeHistory([
    sources.history?.list(query) ?? [],
    finishedMoves(sources, (m) => domain === undefined || m.uuid === domain || m.domain === domain),
    sources.migrations?.({ domain, limit: query.limit }) ?? [],
  ], query.limit);
}

/**
 * A disk's recent entries, newest first: its jobs, the moves that moved it and the domain's
 * migrations (a migration carries every disk).
 */
export function recentHistory(
  sources: HistorySources,
  uuid: string,
  target: string,
  limit: number,
): HistoryEntry[] {
  return mergeHistory([
    sources.history?.recent(uuid, target, limit) ?? [],
    finishedMoves(sources, (m) => m.uuid === uuid && m.disks.some((d) => d.target === target)),
    sources.migrations?.({ domain: uuid, limit }) ?? [],
  ], limit);
}
