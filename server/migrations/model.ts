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
   * Average of the current stage (disks or memory): dataProcessed gained over the job's own
   * elapsed time since the stage's first sample; null until two samples of the stage exist.
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

/** A progress sample: when (the job's elapsed ms), the stage, and the bytes processed then. */
export interface ProgressSample {
  atMs: number;
  processed: number;
  stage?: Migration["stage"];
}

/**
 * The rate window after `sample`: the first sample of its stage and this one. QEMU reports a
 * throttled mirror's progress in steps (16 MiB at once under a 1 MiB/s limit), so the last few
 * seconds alone read as 4 MiB/s or 0; averaged over the stage it is the rate the limit allows.
 * A new stage starts over (memory is copied at its own speed). Samples before QEMU reported any
 * total (`starting`) count for nothing. Pure.
 */
export function nextWindow(
  window: readonly ProgressSample[],
  sample: ProgressSample,
): ProgressSample[] {
  if (sample.stage === "starting") return [];
  const first = window[0];
  if (!first || first.stage !== sample.stage || sample.atMs < first.atMs) return [sample];
  return [first, sample];
}

/**
 * Rate over the window of samples (first to last), bytes/s; null with fewer than two samples, no
 * time between them, or nothing processed since the first: QEMU counts a throttled copy in steps,
 * so "0 B/s" before its next step would read as stalled when it is not measured yet. Pure.
 */
export function rateOf(samples: readonly ProgressSample[]): number | null {
  if (samples.length < 2) return null;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = (last.atMs - first.atMs) / 1000;
  if (seconds <= 0 || last.processed <= first.processed) return null;
  return Math.max(0, Math.round((last.processed - first.processed) / seconds));
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
  window: readonly ProgressSample[],
): Migration {
  const stage = migrationStage(info);
  const rate = rateOf(window);
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
