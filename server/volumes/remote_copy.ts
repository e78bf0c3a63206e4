/**
 * Copies into storage-pool volumes: on a host blockboard cannot stat files on (any host but this
 * machine), a copy's destination is a volume of one of the host's libvirt storage pools.
 * blockboard creates it (`vol-create-as` with an explicit format, the disk's virtual size and,
 * for a shallow copy, the disk's backing file with its format), runs the copy into its path with
 * `--reuse-external --format`, and deletes the volume again when the copy fails or is aborted
 * before it was ever ready (a volume holding nothing usable is not left behind).
 *
 * @module
 */
import { z } from "zod";
import type { VirshRunner } from "../virsh/runner.ts";
import {
  type CopyFormat,
  domStatsBlockArgs,
  poolListActiveArgs,
  volCreateAsArgs,
  volDeleteArgs,
  volInfoByPathArgs,
  volPathArgs,
} from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { parsePoolNames } from "../virsh/parse/storage_volumes.ts";
import {
  bandwidthBytesSchema,
  describe,
  hostPathSchema,
  isCopyFormat,
  poolNameSchema,
  volumeNameSchema,
} from "../virsh/values.ts";
import type { DiskRef, JobOperations } from "../jobs/operations.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import { readDiskContext } from "../jobs/disk_context.ts";
import { JobInputError } from "../jobs/errors.ts";
import { type MirrorTuning, mirrorTuningFields } from "../jobs/mirror_tuning.ts";
import { isActivePhase, type Job } from "../jobs/model.ts";
import { uriHost } from "../migrations/address.ts";
import { dirOf, readHostPools } from "../migrations/storage_pools.ts";
import { volumeRemovalOutcome } from "./removal_outcome.ts";

/** True for a URI that reaches this machine's libvirt (no host part): its files are ours to stat. Pure. */
export function isLocalUri(uri: string): boolean {
  return uriHost(uri) === null;
}

/**
 * True when libvirt on the runner's host knows `path` as a volume (`vol-info --vol PATH`); false
 * when it says no such volume; other failures throw.
 */
export async function volumeExists(runner: VirshRunner, path: string): Promise<boolean> {
  const out = await runner.run(volInfoByPathArgs(path), { allowFailure: true });
  if (out.code === 0) return true;
  if (/no storage vol with matching path|Storage volume not found/i.test(out.stderr)) return false;
  throw new VirshError({ argv: out.argv, code: out.code, stderr: out.stderr });
}

/**
 * The running storage pools a copy form offers on a host blockboard cannot stat files on; null
 * for this machine (path destinations); empty when they cannot be read (the form says so).
 */
export async function volumePoolsFor(runner: VirshRunner): Promise<string[] | null> {
  if (isLocalUri(runner.uri)) return null;
  try {
    return parsePoolNames((await runner.run(poolListActiveArgs())).stdout);
  } catch {
    return [];
  }
}

/** A copy into a new volume. */
export interface VolumeCopyInput {
  pool: string;
  volume: string;
  /** The volume's format; default: the disk's own (from the XML, never probed). */
  format?: CopyFormat;
  shallow?: boolean;
  bandwidthBytes?: number;
}

/** The fields of a copy request, as its refusal of unknown fields lists them. */
const COPY_REQUEST_FIELDS = [
  "dest",
  "format",
  "shallow",
  "reuseExternal",
  "bandwidthBytes",
  "pool",
  "volume",
  ...Object.keys(mirrorTuningFields),
];

/** A copy into a new volume, with the mirror's tuning (see `jobs/mirror_tuning.ts`). */
export type TunedVolumeCopyInput = VolumeCopyInput & MirrorTuning;

const format = z.enum(["qcow2", "raw"], { error: 'must be "qcow2" or "raw"' });

/**
 * `POST …/copy` body: a path (`dest`, this machine only) or a new volume (`pool` + `volume`),
 * exactly one of them.
 */
export const copyRequestBody = z.strictObject({
  dest: hostPathSchema.optional(),
  format: format.optional(),
  shallow: z.boolean({ error: "must be true or false" }).optional(),
  reuseExternal: z.boolean({ error: "must be true or false" }).optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
  pool: poolNameSchema.optional(),
  volume: volumeNameSchema.optional(),
  ...mirrorTuningFields,
}, {
  error: (issue) => {
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      return `unknown field${keys.length === 1 ? "" : "s"} ${
        keys.map((k) => JSON.stringify(k)).join(", ")
      }: this request takes ${COPY_REQUEST_FIELDS.join(", ")}`;
    }
    return issue.code === "invalid_type"
      ? `must be a JSON object, not ${describe(issue.input)}`
      : undefined;
  },
}).superRefine((b, ctx) => {
  const byPath = b.dest !== undefined;
  const byVolume = b.pool !== undefined || b.volume !== undefined;
  if (byPath === byVolume) {
    ctx.addIssue({
      code: "custom",
      path: ["dest"],
      message: byPath
        ? 'give either "dest" (a path) or "pool" and "volume" (a new volume), not both'
        : 'is required (a path on this machine), or "pool" and "volume" for a new volume',
    });
  } else if (byVolume && (b.pool === undefined || b.volume === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [b.pool === undefined ? "pool" : "volume"],
      message: 'is required: a volume destination names both "pool" and "volume"',
    });
  } else if (byVolume && b.reuseExternal !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["reuseExternal"],
      message: "does not apply to a new volume: blockboard creates it and reuses it itself",
    });
  }
});

/**
 * {@link copyRequestBody} as the OpenAPI document describes it: the two shapes (a path, or a new
 * volume) as alternatives, since a JSON Schema has no room for the handler's refinement. The
 * document test checks both refuse the same bodies.
 */
export const copyRequestDocumentSchema = z.union([
  z.strictObject({
    dest: hostPathSchema,
    format: format.optional(),
    shallow: z.boolean().optional(),
    reuseExternal: z.boolean().optional(),
    bandwidthBytes: bandwidthBytesSchema.optional(),
    ...mirrorTuningFields,
  }),
  z.strictObject({
    pool: poolNameSchema,
    volume: volumeNameSchema,
    format: format.optional(),
    shallow: z.boolean().optional(),
    bandwidthBytes: bandwidthBytesSchema.optional(),
    ...mirrorTuningFields,
  }),
]);

/** Parsed {@link copyRequestBody}. */
export type CopyRequest = z.output<typeof copyRequestBody>;

/** Options of {@link VolumeCopies}. */
export interface VolumeCopiesOptions {
  /** How often a copy's end is looked for (default 1000 ms). */
  pollMs?: number;
}

/** See the module documentation. One per host (its runner, operations and monitor). */
export class VolumeCopies {
  readonly #runner: VirshRunner;
  readonly #operations: JobOperations;
  readonly #monitor: JobMonitor;
  readonly #pollMs: number;
  readonly #watching = new Set<ReturnType<typeof setInterval>>();

  constructor(
    runner: VirshRunner,
    operations: JobOperations,
    monitor: JobMonitor,
    options: VolumeCopiesOptions = {},
  ) {
    this.#runner = runner;
    this.#operations = operations;
    this.#monitor = monitor;
    this.#pollMs = options.pollMs ?? 1000;
  }

  /** Creates the volume and starts the copy into it; the volume is deleted if the start fails. */
  async startCopy(ref: DiskRef, input: TunedVolumeCopyInput): Promise<Job> {
    const ctx = await readDiskContext(this.#runner, ref);
    const [top, backing] = ctx.disk.chain;
    if (!top) throw new JobInputError("target", `disk ${ref.target} has no image to copy`);
    const fmt = input.format ?? top.format;
    if (!isCopyFormat(fmt)) {
      throw new JobInputError(
        "format",
        `the disk's format (${top.format}) is not qcow2 or raw; give "format" explicitly`,
      );
    }
    if (input.shallow && fmt !== "qcow2") {
      throw new JobInputError(
        "shallow",
        "a shallow copy needs a qcow2 volume (raw has no backing)",
      );
    }
    if (input.shallow && (!backing || !isCopyFormat(backing.format))) {
      throw new JobInputError(
        "shallow",
        backing
          ? `the backing file's format (${backing.format}) is not recorded as qcow2 or raw; blockboard never probes it`
          : `disk ${ref.target} has no backing file: a shallow copy would be a full one; leave shallow off`,
      );
    }
    if (input.shallow && backing) {
      // vol-create-as names the backing by volume: libvirt must know the file as one.
      const pools = await readHostPools(this.#runner);
      if (!pools.some((p) => p.volumes.includes(backing.path))) {
        throw new JobInputError(
          "shallow",
          `the backing file ${backing.path} is not a volume of any running storage pool on this host, so libvirt cannot build a shallow volume over it; define a pool over ${
            dirOf(backing.path)
          } (virsh pool-define-as NAME dir --target DIR; virsh pool-start NAME) or make a full copy`,
        );
      }
    }
    const stats = parseDomstats((await this.#runner.run(domStatsBlockArgs(ref.uuid))).stdout);
    const capacity = stats[0]?.blocks.find((b) => b.name === ref.target)?.capacity ?? null;
    if (!capacity) {
      throw new JobInputError("target", `libvirt reports no virtual size for disk ${ref.target}`);
    }
    await this.#runner.run(volCreateAsArgs({
      pool: input.pool,
      name: input.volume,
      capacityBytes: capacity,
      format: fmt,
      ...(input.shallow && backing
        ? { backing: { volume: backing.path, format: backing.format as CopyFormat } }
        : {}),
    }));
    let job: Job;
    try {
      const dest = (await this.#runner.run(volPathArgs(input.pool, input.volume))).stdout.trim();
      job = await this.#operations.startCopyIntoCreatedVolume(ref, {
        dest,
        format: fmt,
        shallow: input.shallow,
        reuseExternal: true,
        bandwidthBytes: input.bandwidthBytes,
        synchronousWrites: input.synchronousWrites,
        granularity: input.granularity,
        bufSize: input.bufSize,
      });
    } catch (e) {
      await this.#deleteVolume(input.pool, input.volume);
      throw e;
    }
    this.#watch(ref, job.startedAt, { pool: input.pool, volume: input.volume });
    return job;
  }

  /** `vol-delete`; resolves to null when deleted, else virsh's reason. */
  async #deleteVolume(pool: string, volume: string): Promise<string | null> {
    try {
      const out = await this.#runner.run(volDeleteArgs(pool, volume), { allowFailure: true });
      return out.code === 0
        ? null
        : out.stderr.trim().replace(/\s+/g, " ") || `virsh exited with ${out.code}`;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** Stops watching (shutdown). */
  close(): void {
    for (const timer of this.#watching) clearInterval(timer);
    this.#watching.clear();
  }

  /**
   * Deletes the volume once the copy ended without ever being ready, and says so in the job's
   * outcome (or why it could not).
   */
  #watch(ref: DiskRef, startedAt: string, target: { pool: string; volume: string }): void {
    const timer = setInterval(async () => {
      const job = this.#monitor.getJob(ref.uuid, ref.target);
      if (job && job.startedAt === startedAt && isActivePhase(job.phase)) return;
      clearInterval(timer);
      this.#watching.delete(timer);
      const ours = job?.startedAt === startedAt ? job : null;
      if (
        ours && ours.readyAt === null && ["canceled", "failed", "interrupted"].includes(ours.phase)
      ) {
        const error = await this.#deleteVolume(target.pool, target.volume);
        const outcome = volumeRemovalOutcome(ours, { ...target, error });
        if (outcome) await this.#monitor.rewriteOutcome(ref, startedAt, outcome);
      }
    }, this.#pollMs);
    this.#watching.add(timer);
  }
}
