/**
 * zod schemas of what the queue and clean-up routes answer, for the OpenAPI document, checked at
 * type-check time against the types the handlers return ({@link QueueSnapshot},
 * {@link MoveCleanupItem}, {@link DeletionResult}).
 *
 * @module
 */
import { z } from "zod";
import type { SameType } from "../openapi/schemas.ts";
import type { DeletionResult } from "../jobs/cleanup.ts";
import type { MoveCleanupItem } from "./cleanup.ts";
import type { QueueSnapshot } from "./queue.ts";
import { moveSchema } from "./schemas.ts";

/** The host-wide queue. */
export const queueSnapshotSchema = z.object({
  maxRunning: z.number().describe("moves running at once (--max-moves)"),
  bandwidthBudget: z.number().nullable().describe(
    "bytes/s shared by the running moves (--bandwidth-budget); null: none",
  ),
  running: z.array(z.string()).describe("running move ids, in the order they started"),
  waiting: z.array(z.string()).describe("waiting move ids, next first"),
});

/** `{"queue": QueueSnapshot}`. */
export const queueResponse = z.object({ queue: queueSnapshotSchema });

/** Where a move stands after Up or Down. */
export const queuePlaceSchema = z.object({
  state: z.enum(["waiting", "running", "absent"]),
  position: z.number().optional().describe("1 = next to start"),
  of: z.number().optional().describe("how many wait"),
});

/** `{"move", "queue"}` of Up and Down. */
export const queueMoveResponse = z.object({ move: moveSchema, queue: queuePlaceSchema });

/** What a clean-up would do with one old file. */
export const cleanupItemSchema = z.object({
  path: z.string(),
  verdict: z.enum(["delete", "kept", "gone"]),
  reason: z.string().nullable().describe("why it is kept"),
});

/** What a clean-up did with one file. */
export const deletionResultSchema = z.object({
  path: z.string(),
  deleted: z.boolean(),
  reason: z.string().nullable(),
});

/** `GET /moves/{id}/cleanup`. */
export const cleanupReviewResponse = z.object({
  move: moveSchema,
  cleanup: z.object({ files: z.array(cleanupItemSchema) }),
});

/** `POST /moves/{id}/cleanup`. */
export const cleanupResultResponse = z.object({
  move: moveSchema,
  cleanup: z.object({ results: z.array(deletionResultSchema) }),
});

const sameQueue: SameType<z.infer<typeof queueSnapshotSchema>, QueueSnapshot> = true;
const sameItem: SameType<z.infer<typeof cleanupItemSchema>, MoveCleanupItem> = true;
const sameResult: SameType<z.infer<typeof deletionResultSchema>, DeletionResult> = true;
/** The checks above, kept referenced (they do their work at type-check time). */
export const MOVE_WEB_SCHEMA_CHECKS = [sameQueue, sameItem, sameResult];
