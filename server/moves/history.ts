/**
 * Finished storage moves in the job history (issue 11: "Finished moves stay in the job history
 * with their outcome"): each ended move read from the moves store (the engine's records, never a
 * second copy in `job_history`) as a history entry of type `move`, merged with the finished block
 * jobs newest first, for `GET /api/v1/jobs` and the Recent jobs of each disk it moved.
 *
 * @module
 */
import type { JobHistoryQuery, JobRecord } from "../jobs/history.ts";
import { STARTED_OUTSIDE } from "../jobs/model.ts";
import { DEFAULT_HOST_NAME } from "../hosts/model.ts";
import { isFinishedMove, type Move, type MoveMode, type MoveService } from "./model.ts";

/** A finished move as a history entry (shaped like a {@link JobRecord} where fields agree). */
export interface MoveHistoryRecord {
  type: "move";
  /** The move's id (`GET /api/v1/moves/{id}`). */
  id: string;
  /** The dashboard host the move ran on. */
  host: string;
  uuid: string;
  /** The domain's name when the move started. */
  domain: string;
  /** The disks it moved. */
  targets: string[];
  /** Who started it (user or token); {@link STARTED_OUTSIDE} when unknown. */
  startedBy: string;
  /** ISO times. */
  startedAt: string;
  finishedAt: string;
  /** How it ended. */
  phase: "done" | "failed" | "canceled";
  /** The outcome in a few words (`moved to DIR`, `failed`, `canceled`). */
  outcome: string;
  /** The move's last sentence (why it failed, what was removed). */
  message: string;
  /** Bytes copied and bytes to copy. */
  cur: number;
  end: number;
  /** Its bandwidth limit (bytes/s; 0: none). */
  bandwidthBytes: number;
  /** The destination directory. */
  dest: string;
  mode: MoveMode;
}

/** A history entry: a finished block job or a finished move (`type: "move"`). */
export type HistoryEntry = JobRecord | MoveHistoryRecord;

/** True for a move's entry. Pure. */
export function isMoveEntry(entry: HistoryEntry): entry is MoveHistoryRecord {
  return entry.type === "move";
}

/** A finished move as its history entry; null while it runs. Pure. */
export function moveHistoryRecord(move: Move): MoveHistoryRecord | null {
  if (!isFinishedMove(move.state) || move.finishedAt === null) return null;
  const phase = move.state as MoveHistoryRecord["phase"];
  return {
    type: "move",
    id: move.id,
    host: move.host ?? DEFAULT_HOST_NAME,
    uuid: move.uuid,
    domain: move.domain,
    targets: move.disks.map((d) => d.target),
    startedBy: move.startedBy ?? STARTED_OUTSIDE,
    startedAt: move.startedAt,
    finishedAt: move.finishedAt,
    phase,
    outcome: phase === "done" ? `moved to ${move.destDir}` : phase,
    message: move.message ?? "",
    cur: move.bytesDone,
    end: move.bytesTotal,
    bandwidthBytes: move.bandwidthBytes,
    dest: move.destDir,
    mode: move.mode,
  };
}

/** Jobs and moves together, newest end first, at most `limit`. Pure. */
export function mergeHistory(
  jobs: readonly JobRecord[],
  moves: readonly MoveHistoryRecord[],
  limit: number,
): HistoryEntry[] {
  return [...jobs, ...moves]
    .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))
    .slice(0, limit);
}

/** Where finished jobs and moves are read from (either may be absent). */
export interface HistorySources {
  history?: {
    list(query: JobHistoryQuery): JobRecord[];
    recent(uuid: string, target: string, limit?: number): JobRecord[];
  } | null;
  moves?: Pick<MoveService, "list"> | null;
}

function finishedMoves(sources: HistorySources, keep: (move: Move) => boolean) {
  return (sources.moves?.list() ?? []).filter(keep).flatMap((m) => {
    const r = moveHistoryRecord(m);
    return r ? [r] : [];
  });
}

/** `GET /api/v1/jobs`: jobs and moves, `domain` matching the UUID or the name it had. */
export function listHistory(sources: HistorySources, query: JobHistoryQuery): HistoryEntry[] {
  const domain = query.domain;
  return mergeHistory(
    sources.history?.list(query) ?? [],
    finishedMoves(sources, (m) => domain === undefined || m.uuid === domain || m.domain === domain),
    query.limit,
  );
}

/** A disk's recent entries: its jobs and the moves that moved it, newest first. */
export function recentHistory(
  sources: HistorySources,
  uuid: string,
  target: string,
  limit: number,
): HistoryEntry[] {
  return mergeHistory(
    sources.history?.recent(uuid, target, limit) ?? [],
    finishedMoves(sources, (m) => m.uuid === uuid && m.disks.some((d) => d.target === target)),
    limit,
  );
}
