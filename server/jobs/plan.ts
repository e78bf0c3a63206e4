/**
 * Planning a block job from the disk's live XML: validation of the operator's input (once, here:
 * the plan carries typed values), the exact argv that will run and the chain the disk will have
 * afterwards. Pure, so the form's preview shows exactly what the operation would run.
 *
 * @module
 */
import {
  blockCommitArgs,
  blockCopyArgs,
  blockPullArgs,
  CommandBuildError,
  type CopyFormat,
} from "../virsh/commands.ts";
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import { displayCommandLine } from "../virsh/display.ts";
import { JobInputError } from "./errors.ts";
import { assertBandwidth, assertCleanPath, assertSafeChain } from "./plan_checks.ts";
import type { JobOptions, JobType } from "./model.ts";
import { type MirrorTuning, setTuning } from "./mirror_tuning.ts";

/** Input of a pull. */
export interface PullInput {
  /** Pull only the layers above this backing file. */
  base?: string;
  bandwidthBytes?: number;
  /** `--keep-relative`: the top's new backing name stays relative. */
  keepRelative?: boolean;
}

/** Input of a copy (with the mirror tuning options). */
export interface CopyInput extends MirrorTuning {
  /** Absolute destination path. */
  dest: string;
  /** Destination format; default: the disk's own format from the XML (never probed). */
  format?: CopyFormat;
  shallow?: boolean;
  /** The destination exists (made by the operator); needs an explicit `format`. */
  reuseExternal?: boolean;
  bandwidthBytes?: number;
  /**
   * Not in the API's body: the backing chain (top first) a reused shallow destination must be
   * backed by instead of the disk's own, when blockboard made it (a storage move's verified
   * copies of that chain, server/moves/). Default: the disk's own backing chain.
   */
  expectedBacking?: PlannedLayer[];
}

/** Input of a commit. */
export interface CommitInput {
  /** Layer to commit; default (or the active layer): an active commit. */
  top?: string;
  /** Layer to commit into; default: the bottom of the chain. */
  base?: string;
  bandwidthBytes?: number;
  /** `--keep-relative`: the new backing names stay relative. */
  keepRelative?: boolean;
  /** `--delete`: delete the committed layers once the commit succeeded. */
  delete?: boolean;
}

/** What the planner needs besides the disk. */
export interface PlanContext {
  uuid: string;
  /** Connection URI, for the displayed command line. */
  uri: string;
  /** The domain is persistent (copy gets `--transient-job`). */
  persistent: boolean;
}

/** A layer of the chain the disk will have. */
export interface PlannedLayer {
  path: string;
  format: string | null;
}

/** What would run and what it leaves behind. */
export interface JobPlan {
  type: JobType;
  /** argv after `virsh -c URI`. */
  argv: string[];
  /** The whole command, quoted for display (`virsh -c URI ...`). */
  commandLine: string;
  /** Bandwidth limit the job starts with, validated (bytes/s; 0 = unlimited). */
  bandwidthBytes: number;
  /** The disk's chain once the job completes (copy, active commit: after a pivot), top first. */
  chainAfter: PlannedLayer[];
  /** Things the operator should know before starting (e.g. what `--transient-job` means). */
  notes: string[];
  dest?: string;
  base?: string;
  top?: string;
  format?: CopyFormat;
  /** Options beyond paths and bandwidth (only those set). */
  options?: JobOptions;
  /** Files libvirt deletes once the job succeeds (commit `--delete`), top first. */
  deletes?: string[];
}

/** What to plan (see {@link planJob}). */
export type JobRequest =
  | { op: "pull"; input: PullInput }
  | { op: "copy"; input: CopyInput }
  | { op: "commit"; input: CommitInput };

const KEEP_RELATIVE_NOTE =
  "keep relative: the new backing file names stay relative, as they are now (libvirt refuses this when a name in the chain is absolute)";

/** Plans any of the three operations. Pure; throws JobInputError. */
export function planJob(ctx: PlanContext, disk: XmlDisk, request: JobRequest): JobPlan {
  switch (request.op) {
    case "pull":
      return planPull(ctx, disk, request.input);
    case "copy":
      return planCopy(ctx, disk, request.input);
    case "commit":
      return planCommit(ctx, disk, request.input);
  }
}

function layerIndex(disk: XmlDisk, field: string, path: string): number {
  assertCleanPath(field, path);
  const i = disk.chain.findIndex((l) => l.path === path);
  if (i < 0) {
    throw new JobInputError(field, `${path} is not a layer of ${disk.target}'s backing chain`);
  }
  return i;
}

function withArgv(
  ctx: PlanContext,
  build: () => string[],
  rest: Omit<JobPlan, "argv" | "commandLine">,
): JobPlan {
  let argv: string[];
  try {
    argv = build();
  } catch (e) {
    if (e instanceof CommandBuildError) throw new JobInputError(e.field, e.message);
    throw e;
  }
  return {
    ...rest,
    argv,
    commandLine: displayCommandLine(ctx.uri, argv),
  };
}

const layers = (disk: XmlDisk, from: number) =>
  disk.chain.slice(from).map((l) => ({ path: l.path, format: l.format }));

/** Plans a `blockpull`. Pure; throws JobInputError. */
export function planPull(ctx: PlanContext, disk: XmlDisk, input: PullInput): JobPlan {
  assertSafeChain(disk);
  assertBandwidth(input.bandwidthBytes);
  if (disk.chain.length < 2) {
    throw new JobInputError("target", `nothing to pull: ${disk.target} has no backing file`);
  }
  if (input.keepRelative && input.base === undefined) {
    throw new JobInputError(
      "keepRelative",
      "needs a base: a full pull leaves no backing file whose name could stay relative",
    );
  }
  let after = [...layers(disk, 0).slice(0, 1)];
  if (input.base !== undefined) {
    const i = layerIndex(disk, "base", input.base);
    if (i === 0) throw new JobInputError("base", "must be a backing layer, not the active layer");
    if (i === 1) {
      throw new JobInputError("base", "is already the direct backing file: nothing to pull");
    }
    after = [...after, ...layers(disk, i)];
  }
  return withArgv(
    ctx,
    () => blockPullArgs(ctx.uuid, disk.target, input),
    {
      type: "pull",
      chainAfter: after,
      notes: [
        input.base
          ? `the data of the layers above ${input.base} is copied into ${disk.chain[0].path}`
          : `every backing layer's data is copied into ${
            disk.chain[0].path
          }; the backing files are no longer used afterwards`,
        ...(input.keepRelative ? [KEEP_RELATIVE_NOTE] : []),
      ],
      ...(input.keepRelative ? { options: { keepRelative: true } } : {}),
      ...(input.base !== undefined ? { base: input.base } : {}),
      bandwidthBytes: input.bandwidthBytes ?? 0,
    },
  );
}

/** Plans a `blockcopy`. Pure (file-system checks are the operation's). Throws JobInputError. */
export function planCopy(ctx: PlanContext, disk: XmlDisk, input: CopyInput): JobPlan {
  assertSafeChain(disk);
  assertBandwidth(input.bandwidthBytes);
  assertCleanPath("dest", input.dest);
  if (input.format !== undefined && input.format !== "qcow2" && input.format !== "raw") {
    throw new JobInputError("format", "must be qcow2 or raw");
  }
  if (input.reuseExternal && input.format === undefined) {
    throw new JobInputError(
      "format",
      "is required with reuseExternal (blockboard never probes a file's format)",
    );
  }
  const own = disk.chain[0].format;
  const format = input.format ?? own;
  if (format !== "qcow2" && format !== "raw") {
    throw new JobInputError(
      "format",
      `the disk's own format (${own}) cannot be copied to; choose qcow2 or raw`,
    );
  }
  if (input.shallow && format === "raw") {
    throw new JobInputError("shallow", "a shallow copy needs qcow2 (raw has no backing file)");
  }
  for (const l of disk.chain) {
    if (l.path === input.dest) throw new JobInputError("dest", "is a layer of this disk's chain");
  }
  const notes: string[] = [];
  if (ctx.persistent) {
    notes.push(
      "--transient-job: the domain is persistent; libvirt only copies it as a transient job, which ends (and leaves the copy unusable) if the domain shuts down before the pivot. After a pivot libvirt updates the persistent definition too.",
    );
  }
  if (input.shallow) {
    notes.push(
      "shallow: only the top layer is copied; the copy keeps using the existing backing files",
    );
  }
  if (input.reuseExternal) {
    notes.push("reuse external: the destination you made is overwritten with the disk's data");
  }
  if (input.synchronousWrites) {
    notes.push(
      "synchronous writes: every guest write goes to the source and the copy before the guest sees it done, so the copy converges however fast the guest writes; the guest's writes get as slow as the destination",
    );
  }
  notes.push("the domain keeps running on the source until you pivot");
  const tuning = setTuning(input);
  return withArgv(
    ctx,
    () =>
      blockCopyArgs(ctx.uuid, disk.target, {
        dest: input.dest,
        format,
        persistent: ctx.persistent,
        shallow: input.shallow,
        reuseExternal: input.reuseExternal,
        bandwidthBytes: input.bandwidthBytes,
        ...tuning,
      }),
    {
      type: "copy",
      ...(Object.keys(tuning).length ? { options: tuning } : {}),
      chainAfter: [{ path: input.dest, format }, ...(input.shallow ? layers(disk, 1) : [])],
      notes,
      dest: input.dest,
      format,
      bandwidthBytes: input.bandwidthBytes ?? 0,
    },
  );
}

/** Plans a `blockcommit` (active when top is the active layer). Pure; throws JobInputError. */
export function planCommit(ctx: PlanContext, disk: XmlDisk, input: CommitInput): JobPlan {
  assertSafeChain(disk);
  assertBandwidth(input.bandwidthBytes);
  if (disk.chain.length < 2) {
    throw new JobInputError("top", `nothing to commit: ${disk.target} has no backing file`);
  }
  const topIndex = input.top === undefined ? 0 : layerIndex(disk, "top", input.top);
  const baseIndex = input.base === undefined
    ? disk.chain.length - 1
    : layerIndex(disk, "base", input.base);
  if (baseIndex <= topIndex) throw new JobInputError("base", "must be below top in the chain");
  const top = disk.chain[topIndex].path;
  const base = disk.chain[baseIndex].path;
  const active = topIndex === 0;
  // libvirt deletes top and every layer between it and base (never base) once it succeeded.
  const deletes = input.delete ? disk.chain.slice(topIndex, baseIndex).map((l) => l.path) : [];
  const options: JobOptions = {
    ...(input.keepRelative ? { keepRelative: true } : {}),
    ...(input.delete ? { delete: true } : {}),
  };
  return withArgv(
    ctx,
    () =>
      blockCommitArgs(ctx.uuid, disk.target, {
        top,
        base,
        active,
        bandwidthBytes: input.bandwidthBytes,
        keepRelative: input.keepRelative,
        delete: input.delete,
      }),
    {
      type: active ? "active-commit" : "commit",
      chainAfter: [...layers(disk, 0).slice(0, topIndex), ...layers(disk, baseIndex)],
      notes: [
        active
          ? `active commit: the data of ${top} and the layers down to ${base} is written into ${base}; when ready, pivot to run on ${base}`
          : `the data of ${top} and the layers down to ${base} is written into ${base}, which replaces them in the chain`,
        `${base} changes: any other chain or domain that uses it as a backing file sees different data`,
        ...(input.keepRelative ? [KEEP_RELATIVE_NOTE] : []),
        ...(deletes.length
          ? [
            `delete: once the commit ${active ? "is pivoted" : "completes"}, libvirt deletes ${
              deletes.join(", ")
            }; nothing is deleted if it fails or is aborted`,
          ]
          : []),
      ],
      ...(Object.keys(options).length ? { options } : {}),
      ...(deletes.length ? { deletes } : {}),
      base,
      top,
      bandwidthBytes: input.bandwidthBytes ?? 0,
    },
  );
}
