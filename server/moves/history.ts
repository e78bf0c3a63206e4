/**
 * Finished storage moves in the job history (issue 11: "Finished moves stay in the job history
 * with their outcome"): each ended move read from the moves store (the engine's records, never a
 * second copy in `job_history`) as a history entry of type `move`; `jobs/history_entries.ts`
 * merges them with the finished block jobs and migrations.
 *
 * @module
 */
import { STARTED_OUTSIDE } from "../jobs/model.ts";
import { DEFAULT_HOST_NAME } from "../hosts/model.ts";
import { isFinishedMove, type Move, type MoveMode } from "./model.ts";

/** A finished move as a history entry (shaped like a `JobRecord` where fields agree). */
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

/** True for a move's entry. Pure. */
export function isMoveEntry(entry: { type: string }): entry is MoveHistoryRecord {
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
