/**
 * zod schemas of what the moves API answers (`{"move"}`, `{"moves"}`), for the OpenAPI document,
 * checked at type-check time against {@link Move} (a field added on one side only fails
 * `deno check`).
 *
 * @module
 */
import { z } from "zod";
import type { SameType } from "../openapi/schemas.ts";
import { type Move, MOVE_STATES } from "./model.ts";
import type { MoveHistoryRecord } from "./history.ts";

const isoTime = z.string().describe("ISO 8601 time");
const format = z.enum(["qcow2", "raw"]);

/** One layer of a moved disk. */
export const moveLayerSchema = z.object({
  from: z.string().describe("the layer's path now"),
  to: z.string().describe("its new path under destDir (live top: the new overlay)"),
  format,
  bytes: z.number().describe(
    "bytes to copy (allocated data; a live raw top: its virtual size, which the mirror scans; once mirrored: the mirror's end)",
  ),
  doneBytes: z.number(),
  state: z.enum([
    "pending",
    "copying",
    "verifying",
    "copied",
    "mirroring",
    "ready",
    "done",
    "failed",
    "canceled",
  ]),
});

/** A storage move. */
export const moveSchema = z.object({
  id: z.string(),
  domain: z.string(),
  uuid: z.string(),
  state: z.enum(MOVE_STATES as [Move["state"], ...Move["state"][]]),
  destDir: z.string(),
  disks: z.array(z.object({
    target: z.string(),
    layers: z.array(moveLayerSchema).describe("top first"),
    job: z.object({
      phase: z.enum(["mirroring", "ready", "pivoted", "aborted", "failed"]),
      cur: z.number(),
      end: z.number(),
      bandwidthBytes: z.number(),
      notConverging: z.string().nullable().optional().describe(
        "why the mirror is not converging (its remainder grew for 30 s); null otherwise",
      ),
    }).nullable().describe("the mirror job (live moves, once started)"),
  })),
  bytesTotal: z.number(),
  bytesDone: z.number(),
  rateBytesPerSecond: z.number().nullable().describe(
    "bytes/s over the last samples; null while unknown, in sync or ended",
  ),
  etaSeconds: z.number().nullable().describe("seconds left at that rate; null when unknown"),
  startedAt: isoTime,
  finishedAt: isoTime.nullable(),
  message: z.string().nullable().describe("what happened last, as a sentence"),
  pivot: z.enum(["manual", "auto"]),
  bandwidthBytes: z.number().describe("bytes/s; 0 = unlimited"),
  mode: z.enum(["live", "offline"]),
  startedBy: z.string().nullable().optional(),
  host: z.string().optional().describe("the dashboard host whose domain it moves"),
});

/** `{"move": Move}`. */
export const moveResponse = z.object({ move: moveSchema });
/** `{"moves": Move[]}`. */
export const moveListResponse = z.object({ moves: z.array(moveSchema) });

/** A finished move in the job history (`GET /api/v1/jobs`, `type: "move"`). */
export const moveHistoryRecordSchema = z.object({
  type: z.literal("move"),
  id: z.string().describe("the move's id (GET /api/v1/moves/{id})"),
  host: z.string(),
  uuid: z.string(),
  domain: z.string(),
  targets: z.array(z.string()).describe("the disks it moved"),
  startedBy: z.string(),
  startedAt: isoTime,
  finishedAt: isoTime,
  phase: z.enum(["done", "failed", "canceled"]),
  outcome: z.string(),
  message: z.string().describe("the move's last sentence"),
  cur: z.number().describe("bytes copied"),
  end: z.number().describe("bytes to copy"),
  bandwidthBytes: z.number(),
  dest: z.string().describe("the destination directory"),
  mode: z.enum(["live", "offline"]),
});

const sameMove: SameType<z.infer<typeof moveSchema>, Move> = true;
const sameHistory: SameType<z.infer<typeof moveHistoryRecordSchema>, MoveHistoryRecord> = true;
/** The checks above, kept referenced (they do their work at type-check time). */
export const MOVE_SCHEMA_CHECKS = [sameMove, sameHistory];
