/**
 * The moments of a storage move's life others may want to hear about — it started (its first
 * change out of the queue), every disk is ready, it ended done, failed or canceled — worked out
 * from the engine's stream of changes (which also carries every progress tick). Metrics count
 * the ends and webhooks tell receivers; both listen through {@link onMoveEvent}.
 *
 * @module
 */
import { isFinishedMove, type Move, type MoveService, type MoveState } from "./model.ts";

/** Which moment: see the module doc. */
export type MoveEventKind = "started" | "ready" | "done" | "failed" | "canceled";

/** One moment, with the move as the API shows it right after it. */
export interface MoveEvent {
  kind: MoveEventKind;
  move: Move;
}

/** What metrics and webhooks read of one host's moves. */
export type MoveSource = Pick<MoveService, "list" | "onChange">;

/**
 * The moments a change from `before` (undefined: not seen yet) to `now` is, in order. A move
 * first seen already ended (canceled while it waited) only ends; an ended move says nothing more.
 * Pure.
 */
export function moveEventsOf(before: MoveState | undefined, now: MoveState): MoveEventKind[] {
  if (before === now || (before !== undefined && isFinishedMove(before))) return [];
  const kinds: MoveEventKind[] = [];
  if (before === undefined && !isFinishedMove(now)) kinds.push("started");
  if (now === "ready") kinds.push("ready");
  if (isFinishedMove(now)) kinds.push(now as "done" | "failed" | "canceled");
  return kinds;
}

/**
 * Calls `listener` at each moment of the moves of `source` from now on; the moves it already
 * holds (resumed after a restart) are not announced as started again. Returns the unsubscribe.
 */
export function onMoveEvent(source: MoveSource, listener: (event: MoveEvent) => void): () => void {
  const seen = new Map(source.list().map((m) => [m.id, m.state]));
  return source.onChange((move) => {
    const before = seen.get(move.id);
    seen.set(move.id, move.state);
    for (const kind of moveEventsOf(before, move.state)) listener({ kind, move });
  });
}
