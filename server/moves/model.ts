/**
 * The domain model of a storage move (issue 11): moving a VM's whole backing chain, every layer
 * kept, into another directory, live (`blockcopy --shallow --reuse-external` of the active layer
 * onto a pre-built copy of the backing layers) or offline for a shut-off persistent domain.
 *
 * This file is the contract the web page, the queue and the JSON API build on: types, the start
 * request's schema and the {@link MoveService} interface. It only grows (fields are added, never
 * renamed).
 *
 * @module
 */
import { z } from "zod";
import {
  bandwidthBytesSchema,
  describe,
  diskTargetSchema,
  hostPathSchema,
} from "../virsh/values.ts";
import type { ImageFormat } from "../images/commands.ts";
import { type MirrorTuning, mirrorTuningFields } from "../jobs/mirror_tuning.ts";

export { JobConflictError, JobInputError, NotFoundError } from "../jobs/errors.ts";

/** Where a move is: the states of the issue's API, in the order a successful move passes them. */
export type MoveState =
  | "planned" // accepted, nothing written yet
  | "copying" // backing layers (offline: every layer) are being copied and verified
  | "mirroring" // the active layers are mirrored into the new tops
  | "ready" // every mirror is ready: waiting for Switch (manual) or switching (auto)
  | "pivoting" // the disks are switched and their chains verified
  | "done" // the domain runs on (offline: is defined on) the new chain
  | "failed" // ended with a sentence in `message`; the domain stays on its old chain
  | "canceled"; // canceled by an operator; the domain stays on its old chain

/** Every {@link MoveState}, for schemas and tables. */
export const MOVE_STATES: readonly MoveState[] = [
  "planned",
  "copying",
  "mirroring",
  "ready",
  "pivoting",
  "done",
  "failed",
  "canceled",
];

/** True when the move has ended (done, failed or canceled). Pure. */
export function isFinishedMove(state: MoveState): boolean {
  return state === "done" || state === "failed" || state === "canceled";
}

/** Where one layer of a move is. */
export type MoveLayerState =
  | "pending" // not started
  | "copying" // qemu-img convert runs (backing layers; offline: the top too)
  | "verifying" // qemu-img compare of the copy against its source runs
  | "copied" // the copy is written (its relative backing name recorded) and verified
  | "mirroring" // live top: the mirror job copies the active layer into the new top
  | "ready" // live top: the mirror is in sync
  | "done" // the disk runs on (is defined on) the new chain
  | "failed"
  | "canceled";

/** One layer of a disk's chain and its copy. */
export interface MoveLayer {
  /** The layer's path as libvirt names it now. */
  from: string;
  /** Its new path under `destDir` (live top: the new overlay the mirror writes into). */
  to: string;
  /** Its format (from the domain XML; kept by the copy). */
  format: ImageFormat;
  /**
   * Bytes to copy: the plan's (see `layerBytesToCopy` in progress.ts: allocated data; a live raw
   * top its virtual size), then, once mirrored, the mirror job's end.
   */
  bytes: number;
  /** Bytes copied so far. */
  doneBytes: number;
  state: MoveLayerState;
}

/** The mirror job of a disk in a live move. */
export interface MoveDiskJob {
  /** `mirroring` until libvirt says ready; `pivoted` after the switch; `aborted` on cancel. */
  phase: "mirroring" | "ready" | "pivoted" | "aborted" | "failed";
  /** The job's progress counters (`blockjob --info --raw --bytes`). */
  cur: number;
  end: number;
  bandwidthBytes: number;
  /**
   * Added: the monitor's "not converging" sentence while the mirror's remainder grows (see
   * server/jobs/convergence.ts); null or absent otherwise.
   */
  notConverging?: string | null;
}

/** One disk of a move. */
export interface MoveDisk {
  /** Disk target (`vda`). */
  target: string;
  /** The chain, top first: `layers[0]` is the active layer. */
  layers: MoveLayer[];
  /** Its mirror job (live moves, once started); null before and for offline moves. */
  job: MoveDiskJob | null;
}

/** A move as the API returns it (`{"move": Move}`). */
export interface Move {
  /** Stable id (a UUID). */
  id: string;
  /** Domain name when the move was started. */
  domain: string;
  /** Domain UUID (what the move follows: a rename does not lose it). */
  uuid: string;
  state: MoveState;
  /** The destination directory (absolute). */
  destDir: string;
  disks: MoveDisk[];
  /** Sum of every layer's `bytes` (see `layerBytesToCopy` in progress.ts). */
  bytesTotal: number;
  /** Sum of every layer's `doneBytes`. */
  bytesDone: number;
  /**
   * Copy rate (bytes/s) over the last samples; null while unknown (until two samples show
   * progress), once every mirror is in sync, and after the end.
   */
  rateBytesPerSecond: number | null;
  /** Seconds left at the current rate; null when unknown or finished. */
  etaSeconds: number | null;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601; null while running. */
  finishedAt: string | null;
  /** What happened last, as a sentence (why it failed, what the operator must do). */
  message: string | null;
  /** Added to the issue's fields: how the switch happens. */
  pivot: MovePivotMode;
  /** Added: the copy and mirror bandwidth limit in bytes/s (0 = unlimited). */
  bandwidthBytes: number;
  /** Added: `live` (running domain, mirror + pivot) or `offline` (shut-off persistent domain). */
  mode: MoveMode;
  /** Added: who started it (user or token name); null when unknown. Absent in older records. */
  startedBy?: string | null;
  /** Added: the dashboard host whose domain it moves (absent in older records: the default). */
  host?: string;
}

/** Manual: the operator presses Switch (`pivot(id)`); auto: switch as soon as all are ready. */
export type MovePivotMode = "manual" | "auto";

/** Live (running domain) or offline (shut-off persistent domain). */
export type MoveMode = "live" | "offline";

const quoteList = (keys: readonly PropertyKey[]) =>
  keys.map((k) => JSON.stringify(String(k))).join(", ");

const MOVE_REQUEST_KEYS = [
  "destDir",
  "disks",
  "bandwidthBytes",
  "pivot",
  ...Object.keys(mirrorTuningFields),
];

/**
 * The start request: `{destDir, disks?, bandwidthBytes?, pivot?}` and the mirror tuning of the
 * active layers' blockcopy (`synchronousWrites?`, `granularity?`, `bufSize?`). Strict: an unknown
 * key is refused with its name. `disks` absent means every disk with an image (not cdroms).
 */
export const moveRequestSchema = z.strictObject({
  destDir: hostPathSchema,
  disks: z.array(diskTargetSchema, { error: 'must be a list of disk targets such as ["vda"]' })
    .min(1, "must name at least one disk (or leave it out to move every disk)")
    .max(64, "names too many disks")
    .refine((d) => new Set(d).size === d.length, "names a disk twice")
    .optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
  pivot: z.enum(["manual", "auto"], { error: 'must be "manual" or "auto"' }).optional(),
  ...mirrorTuningFields,
}, {
  error: (issue) => {
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      return `unknown field${keys.length === 1 ? "" : "s"} ${quoteList(keys)}: this request takes ${
        MOVE_REQUEST_KEYS.join(", ")
      }`;
    }
    if (issue.code === "invalid_type") return `must be a JSON object, not ${describe(issue.input)}`;
    return undefined;
  },
});

/** A validated start request. */
export type MoveRequest = z.output<typeof moveRequestSchema>;

/** A command the move will run: the program and its argv (after the binary; virsh after `-c URI`). */
export interface MoveCommand {
  program: "qemu-img" | "virsh";
  argv: string[];
  /** The whole command quoted for display. */
  commandLine: string;
}

/** A layer in the plan. */
export interface PlannedMoveLayer {
  from: string;
  to: string;
  format: ImageFormat;
  /**
   * Bytes to copy, as the card counts them (`layerBytesToCopy` in progress.ts): the source
   * file's allocated data; a live move's raw active layer its virtual size (what its mirror scans).
   */
  bytes: number;
  /** Added: the source file's allocated bytes (absent in plans saved before it existed). */
  allocatedBytes?: number;
  /** Virtual size (the new live top is created with it). */
  virtualSize: number;
  /**
   * The backing reference written into the copy: relative name of the copied layer below (same
   * directory: the file name); null for the base.
   */
  backingName: string | null;
  /** Format of the backing layer (`-F`); null for the base. */
  backingFormat: ImageFormat | null;
  /** How the new file comes to be: copied by qemu-img, or (live top) created empty and mirrored. */
  action: "copy" | "create-and-mirror";
}

/** A disk in the plan. */
export interface PlannedMoveDisk {
  target: string;
  /** The directory its copies go into: `destDir`, or `destDir/TARGET` when names collide. */
  dir: string;
  /** Top first, as now. */
  layers: PlannedMoveLayer[];
  /** Every command, in order: convert and compare per layer, then create + blockcopy (or define). */
  commands: MoveCommand[];
  /** The disk's chain after the move, top first (absolute paths, formats). */
  chainAfter: { path: string; format: ImageFormat }[];
}

/** What a move would do, shown before it starts. */
export interface MovePlan {
  domain: string;
  uuid: string;
  persistent: boolean;
  mode: MoveMode;
  destDir: string;
  pivot: MovePivotMode;
  bandwidthBytes: number;
  /**
   * Added: the mirror tuning of the active layers' blockcopy (only the options set); absent in
   * plans saved before it existed.
   */
  tuning?: MirrorTuning;
  disks: PlannedMoveDisk[];
  /** Sum of the layers' bytes (`moveTotals` in progress.ts, as the card sums them). */
  bytesTotal: number;
  /** Things the operator should know (subfolders used, a shared base copied, transient job). */
  notes: string[];
}

/**
 * What the web page, the queue and the API call. Errors: `JobInputError` (400: the field and a
 * sentence), `NotFoundError` (404), `JobConflictError` (409: a disk has a job, a move of the
 * domain runs, pivot before ready); libvirt and qemu-img errors pass through typed.
 */
export interface MoveService {
  /** The plan for `domain` (name or UUID): every file, its new path, bytes, commands, chain after. */
  plan(domain: string, request: MoveRequest): Promise<MovePlan>;
  /** Plans, persists and starts the move in the background; resolves once it is `planned`. */
  start(domain: string, request: MoveRequest): Promise<Move>;
  /** Every move known (running first, then finished, newest first). */
  list(): Move[];
  /** One move by id. */
  get(id: string): Move | undefined;
  /** Switches a `ready` manual move now (409 before ready). */
  pivot(id: string): Promise<Move>;
  /** Cancels in any running state: the VM stays on its old chain, created files are removed. */
  cancel(id: string): Promise<Move>;
  /** Called with the move after every change (progress too); returns the unsubscribe. */
  onChange(listener: (move: Move) => void): () => void;
}
