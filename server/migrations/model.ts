/**
 * A live migration with storage as the API and the pages show it (issue 12's `Migration`), and
 * the pure functions that turn `domjobinfo` samples into progress (rate, ETA).
 *
 * @module
 */
import { z } from "zod";
import type { MigrationStorage } from "../virsh/commands.ts";
import { bandwidthBytesSchema } from "../virsh/values.ts";
import type { DomJobInfo } from "../virsh/parse/domjobinfo.ts";
import { migrationStage } from "../virsh/parse/domjobinfo.ts";
import { progressed, pushSample, type Sample, windowStats } from "../jobs/rate.ts";

export type { MigrationStorage } from "../virsh/commands.ts";

/** Where a migration is in its life. */
export type MigrationPhase = "preparing" | "copying" | "completed" | "failed" | "aborted";

/** True while the migration still runs. Pure. */
export function isActiveMigration(phase: MigrationPhase): boolean {
  return phase === "preparing" || phase === "copying";
}

/** One live migration with storage (API v1 `Migration`, plus what the page shows). */
export interface Migration {
  id: string;
  /** Domain name and UUID (the UUID stays the same on the target). */
  domain: string;
  uuid: string;
  /** Host names. */
  from: string;
  to: string;
  storage: MigrationStorage;
  phase: MigrationPhase;
  /** What the numbers are about now: `starting`, `disks` (mirror), `memory` (pre-copy). */
  stage: "starting" | "disks" | "memory" | null;
  /** Memory plus disks, bytes (0 until QEMU reports them). */
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  /**
   * dataProcessed gained per second of the job's own clock over whole steps of the current
   * stage (disks or memory); null until the stage has shown progress.
   */
  rateBytesPerSecond: number | null;
  etaSeconds: number | null;
  /** Pages per second the guest dirties during the memory pre-copy; null before it. */
  dirtyRatePagesPerSecond: number | null;
  /** The limit asked for (bytes/s, 0 = unlimited); virsh applies it in whole MiB/s. */
  bandwidthBytes: number;
  /** ISO times. */
  startedAt: string;
  finishedAt: string | null;
  /** What happened, in a sentence (set at the end, or when something needs saying). */
  message: string;
  /** Who started it (user name), or null when unknown. */
  startedBy: string | null;
  /** The exact command line, `virsh -c SOURCE migrate …`. */
  command: string;
}

/** {@link Migration} as a zod schema: the API's answers and their OpenAPI description. */
export const migrationSchema = z.object({
  id: z.string(),
  domain: z.string(),
  uuid: z.string(),
  from: z.string().describe("source host"),
  to: z.string().describe("target host"),
  storage: z.enum(["all", "inc"]),
  phase: z.enum(["preparing", "copying", "completed", "failed", "aborted"]),
  stage: z.enum(["starting", "disks", "memory"]).nullable(),
  dataTotal: z.number().int().describe("bytes, memory plus disks"),
  dataProcessed: z.number().int(),
  dataRemaining: z.number().int(),
  rateBytesPerSecond: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  dirtyRatePagesPerSecond: z.number().nullable(),
  bandwidthBytes: z.number().int().describe("limit asked for, bytes/s; 0 = unlimited"),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  message: z.string(),
  startedBy: z.string().nullable(),
  command: z.string(),
}) satisfies z.ZodType<Migration>;

/** `{"migration": Migration | null}`: every migration route's answer. */
export const migrationResponse = z.object({ migration: migrationSchema.nullable() });

/** `POST …/migrate` body. */
export const migrateBody = z.strictObject({
  to: z.string({ error: (i) => i.input === undefined ? "is required" : "must be a host name" }),
  storage: z.enum(["all", "inc"], {
    error: (i) =>
      i.input === undefined
        ? 'is required: "all" (copy every layer) or "inc" (top layer only)'
        : 'must be "all" or "inc"',
  }),
  bandwidthBytes: bandwidthBytesSchema.optional(),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? `unknown field(s) ${
        ((issue as { keys?: string[] }).keys ?? []).join(", ")
      }: this request takes to, storage, bandwidthBytes`
      : undefined,
});

/** Parsed {@link migrateBody}. */
export type MigrateRequest = z.output<typeof migrateBody>;

/** The samples a migration's rate is measured over, and whether its stage has moved yet. */
export interface RateWindow {
  stage: Migration["stage"];
  samples: Sample[];
  /** Two samples of this stage showed progress (see `progressed` in `jobs/rate.ts`). */
  moved: boolean;
}

/** No sample yet. */
export const EMPTY_RATE_WINDOW: RateWindow = { stage: null, samples: [], moved: false };

/** How far back a migration's rate looks (whole steps of a throttled copy are kept longer). */
export const MIGRATION_RATE_WINDOW_MS = 10_000;

/**
 * The window after one `domjobinfo` sample taken `atMs` into the job (its own clock). The block
 * jobs' step-aware window (`jobs/rate.ts`): QEMU counts a throttled disk copy in steps (16 MiB at
 * once under a 1 MiB/s limit), so a plain window reads 4 MiB/s or 0. A new stage starts over
 * (memory goes at its own speed); `starting` (no totals yet) counts for nothing. Pure.
 */
export function nextRateWindow(w: RateWindow, info: DomJobInfo, atMs: number): RateWindow {
  const stage = migrationStage(info);
  if (stage === "starting") return EMPTY_RATE_WINDOW;
  const sample: Sample = { t: atMs, cur: info.dataProcessed, end: info.dataTotal };
  const same = w.stage === stage;
  const samples = same ? w.samples : [];
  const moved = (same && w.moved) || progressed(samples[samples.length - 1], sample);
  return { stage, samples: pushSample(samples, sample, MIGRATION_RATE_WINDOW_MS), moved };
}

/** Seconds until `remaining` is done at `rate`; null when the rate is unknown or 0. Pure. */
export function etaOf(remaining: number, rate: number | null): number | null {
  if (rate === null || rate <= 0) return null;
  return Math.ceil(remaining / rate);
}

/** The migration's numbers updated from one `domjobinfo` sample. Pure. */
export function withSample(
  m: Migration,
  info: DomJobInfo,
  window: RateWindow,
): Migration {
  const stage = migrationStage(info);
  const rate = windowStats(window.samples, false, window.moved).rateBytesPerSecond;
  return {
    ...m,
    // The job exists on the source: libvirt is copying (disks first, then memory).
    phase: m.phase === "preparing" ? "copying" : m.phase,
    stage,
    dataTotal: info.dataTotal,
    dataProcessed: info.dataProcessed,
    dataRemaining: info.dataRemaining,
    rateBytesPerSecond: rate,
    etaSeconds: stage === "starting" ? null : etaOf(info.dataRemaining, rate),
    dirtyRatePagesPerSecond: stage === "memory" ? info.memoryDirtyRate : null,
  };
}
