/**
 * Moves in the database: one row per move holding its whole {@link MoveRecord} as JSON (the
 * plan, the progress, the files and directories it created), written after every step, so a
 * restart finds every move where it was.
 *
 * @module
 */
import type { Database } from "../db.ts";
import { DEFAULT_HOST_NAME } from "../hosts/model.ts";
import type { Move, MovePlan } from "./model.ts";

/** What the engine keeps per move. */
export interface MoveRecord {
  move: Move;
  plan: MovePlan;
  /** Files the move created (removed again on cancel or failure, never after a pivot). */
  createdFiles: string[];
  /** Directories the move created (removed on cancel or failure when empty). */
  createdDirs: string[];
  /**
   * Its place among the waiting moves (0: next), as operators ordered them with Up and Down;
   * a restart queues waiting moves in this order again. Absent: never waited (or older records).
   */
  queueRank?: number;
}

/** Where records are kept; the engine runs without one in unit tests. */
export interface MoveStore {
  save(record: MoveRecord): void;
  /** Every record, newest first (at most `limit`). */
  list(limit?: number): MoveRecord[];
}

/**
 * {@link MoveStore} on the SQLite database (`moves` table): the moves of one dashboard host (the
 * `host` column), so each host's engine lists and resumes only its own.
 */
export class SqliteMoveStore implements MoveStore {
  readonly #db: Database;
  readonly #host: string;

  constructor(db: Database, host = DEFAULT_HOST_NAME) {
    this.#db = db;
    this.#host = host;
  }

  save(record: MoveRecord): void {
    const m = record.move;
    this.#db.prepare(
      `INSERT INTO moves (id, uuid, domain, state, started_at, finished_at, record, host)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, domain = excluded.domain,
         finished_at = excluded.finished_at, record = excluded.record`,
    ).run(
      m.id,
      m.uuid,
      m.domain,
      m.state,
      m.startedAt,
      m.finishedAt,
      JSON.stringify(record),
      this.#host,
    );
  }

  list(limit = 200): MoveRecord[] {
    const rows = this.#db.prepare(
      "SELECT record FROM moves WHERE host = ? ORDER BY started_at DESC LIMIT ?",
    ).all(this.#host, limit) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as MoveRecord);
  }
}

/** A store in memory (no database). */
export class MemoryMoveStore implements MoveStore {
  readonly #records = new Map<string, string>();

  save(record: MoveRecord): void {
    this.#records.set(record.move.id, JSON.stringify(record));
  }

  list(limit = 200): MoveRecord[] {
    return [...this.#records.values()].map((r) => JSON.parse(r) as MoveRecord)
      .sort((a, b) => b.move.startedAt.localeCompare(a.move.startedAt)).slice(0, limit);
  }
}
