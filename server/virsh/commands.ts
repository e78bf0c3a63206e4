/**
 * Pure argv builders for the virsh block-job commands. Each returns the arguments after
 * `virsh -c URI` (the runner adds those). Domains are always named by UUID through `--domain`,
 * disks by target through `--path`, and every path goes through a named option (`--dest`,
 * `--base`, `--top`), so no value ever lands where virsh reads options or positionals.
 *
 * @module
 */
import type { z } from "zod";
import {
  type BandwidthBytes,
  bandwidthBytesSchema,
  bufSizeBytesSchema,
  type CopyFormat,
  diskTargetSchema,
  firstIssue,
  granularityBytesSchema,
  hostPathSchema,
  isCopyFormat,
  uuidSchema,
} from "./values.ts";

export type { BandwidthBytes } from "./values.ts";

/** Thrown when a builder is asked for an argv that would be unsafe or meaningless. */
export class CommandBuildError extends Error {
  /** The input field at fault. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "CommandBuildError";
    this.field = field;
  }
}

/** Checks `value` against `schema`; a refusal names the field and shows the value. */
function checked<T>(field: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new CommandBuildError(field, `${firstIssue(r.error)}: ${shownValue(value)}`);
  }
  return r.data;
}

/** A refused value in a message: strings quoted (a path may hold blanks), others as they are. */
function shownValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function uuidValue(uuid: string): string {
  return checked("uuid", uuidSchema, uuid);
}

function domainArgs(uuid: string, target: string): string[] {
  return ["--domain", uuidValue(uuid), "--path", checked("target", diskTargetSchema, target)];
}

/** A file path given to virsh (see {@link hostPathSchema}). */
function pathValue(field: string, path: string): string {
  return checked(field, hostPathSchema, path);
}

/** `--bandwidth N --bytes` (the one rule: {@link bandwidthBytesSchema}). */
function bandwidthOption(bandwidthBytes: BandwidthBytes): string[] {
  return [
    "--bandwidth",
    String(checked("bandwidthBytes", bandwidthBytesSchema, bandwidthBytes)),
    "--bytes",
  ];
}

/** A job's starting limit: nothing for unlimited (absent or 0). */
function bandwidthArgs(bandwidthBytes: BandwidthBytes | undefined): string[] {
  if (bandwidthBytes === undefined || bandwidthBytes === 0) return [];
  return bandwidthOption(bandwidthBytes);
}

/** `blockjob --info --raw --bytes`: the stable progress form (bandwidth in bytes/s). */
export function blockJobInfoArgs(uuid: string, target: string): string[] {
  return ["blockjob", ...domainArgs(uuid, target), "--info", "--raw", "--bytes"];
}

/** Options of {@link blockPullArgs}. */
export interface BlockPullOptions {
  /** Stop pulling at this backing file (partial pull); absent: flatten the whole chain. */
  base?: string;
  bandwidthBytes?: BandwidthBytes;
  /** `--keep-relative`: the top's new backing name stays relative (fails on absolute chains). */
  keepRelative?: boolean;
}

/** `blockpull`: copies backing data into the active layer. Never `--wait`: the monitor watches. */
export function blockPullArgs(
  uuid: string,
  target: string,
  options: BlockPullOptions = {},
): string[] {
  const args = ["blockpull", ...domainArgs(uuid, target)];
  if (options.base !== undefined) args.push("--base", pathValue("base", options.base));
  if (options.keepRelative) args.push("--keep-relative");
  return [...args, ...bandwidthArgs(options.bandwidthBytes)];
}

export type { CopyFormat } from "./values.ts";

/** Options of {@link blockCopyArgs}. */
export interface BlockCopyOptions {
  /** Absolute destination path. */
  dest: string;
  /** Destination format: always explicit so nothing is ever probed. */
  format: CopyFormat;
  /** The domain is persistent: libvirt 9.0 then requires `--transient-job`. */
  persistent: boolean;
  /** Copy only the top layer; the copy shares the source's backing chain. */
  shallow?: boolean;
  /** The destination exists already (made by the operator). */
  reuseExternal?: boolean;
  bandwidthBytes?: BandwidthBytes;
  /** `--synchronous-writes`: a write-blocking mirror (guest writes reach both images at once). */
  synchronousWrites?: boolean;
  /** `--granularity N`: dirty-bitmap chunk in bytes, a power of two in [512 B, 64 MiB]. */
  granularity?: number;
  /** `--buf-size N`: the most data in flight, in bytes. */
  bufSize?: number;
}

/**
 * `blockcopy` with `--format` always (so `--raw` is never needed and nothing is probed),
 * `--transient-job` for persistent domains, and never `--wait`.
 */
export function blockCopyArgs(uuid: string, target: string, options: BlockCopyOptions): string[] {
  if (!isCopyFormat(options.format)) {
    throw new CommandBuildError(
      "format",
      `an explicit format (qcow2 or raw) is required, got ${options.format}`,
    );
  }
  if (options.shallow && options.format === "raw") {
    throw new CommandBuildError(
      "shallow",
      "a shallow copy needs a format with a backing file (qcow2)",
    );
  }
  const args = [
    "blockcopy",
    ...domainArgs(uuid, target),
    "--dest",
    pathValue("dest", options.dest),
    "--format",
    options.format,
  ];
  if (options.shallow) args.push("--shallow");
  if (options.reuseExternal) args.push("--reuse-external");
  if (options.persistent) args.push("--transient-job");
  if (options.synchronousWrites) args.push("--synchronous-writes");
  if (options.granularity !== undefined) {
    args.push(
      "--granularity",
      String(checked("granularity", granularityBytesSchema, options.granularity)),
    );
  }
  if (options.bufSize !== undefined) {
    args.push("--buf-size", String(checked("bufSize", bufSizeBytesSchema, options.bufSize)));
  }
  return [...args, ...bandwidthArgs(options.bandwidthBytes)];
}

/** Options of {@link blockCommitArgs}. */
export interface BlockCommitOptions {
  /** Layer to commit from; absent means the active layer. */
  top?: string;
  /** Layer to commit into; absent means the bottom of the chain. */
  base?: string;
  /** `top` is the active layer: a two-phase active commit (`--active`). */
  active: boolean;
  bandwidthBytes?: BandwidthBytes;
  /** `--keep-relative`: the new backing names above base stay relative. */
  keepRelative?: boolean;
  /**
   * `--delete`: libvirt deletes the committed layers (top down to, not including, base) once the
   * job completes (an active commit: once pivoted). Callers check nobody else uses them first.
   */
  delete?: boolean;
}

/** `blockcommit` with named `--top`/`--base`, `--active` for the active layer, never `--wait`. */
export function blockCommitArgs(
  uuid: string,
  target: string,
  options: BlockCommitOptions,
): string[] {
  const args = ["blockcommit", ...domainArgs(uuid, target)];
  if (options.top !== undefined) args.push("--top", pathValue("top", options.top));
  if (options.base !== undefined) args.push("--base", pathValue("base", options.base));
  if (options.active) args.push("--active");
  if (options.keepRelative) args.push("--keep-relative");
  if (options.delete) args.push("--delete");
  return [...args, ...bandwidthArgs(options.bandwidthBytes)];
}

/** `blockjob --abort`: cancels the job (for a ready copy: keeps the copy, stays on the source). */
export function blockJobAbortArgs(uuid: string, target: string): string[] {
  return ["blockjob", ...domainArgs(uuid, target), "--abort"];
}

/**
 * `blockjob --abort` for a disk named the way a terminal line named it: the domain as typed (name,
 * id or UUID) and the disk as a target or a source path, both already accepted by the terminal's
 * allowlist. They travel as named options (`--domain`, `--path`), so neither is read as an option
 * or a positional whatever it looks like.
 */
export function blockJobAbortTypedArgs(domain: string, path: string): string[] {
  if (domain === "") throw new CommandBuildError("domain", "is empty");
  if (path === "") throw new CommandBuildError("path", "is empty");
  return ["blockjob", "--domain", domain, "--path", path, "--abort"];
}

/** `blockjob --pivot`: switches the disk to the copy (or the base of an active commit). */
export function blockJobPivotArgs(uuid: string, target: string): string[] {
  return ["blockjob", ...domainArgs(uuid, target), "--pivot"];
}

/** `blockjob --bandwidth N --bytes`: changes a running job's limit (0 = unlimited). */
export function blockJobBandwidthArgs(
  uuid: string,
  target: string,
  bandwidthBytes: BandwidthBytes,
): string[] {
  return ["blockjob", ...domainArgs(uuid, target), ...bandwidthOption(bandwidthBytes)];
}

/** `dumpxml` of the live definition, or the persistent one with `inactive`. */
export function dumpXmlArgs(uuid: string, options: { inactive?: boolean } = {}): string[] {
  return ["dumpxml", "--domain", uuidValue(uuid), ...(options.inactive ? ["--inactive"] : [])];
}

/** `domstate`: whether the domain runs. */
export function domStateArgs(uuid: string): string[] {
  return ["domstate", "--domain", uuidValue(uuid)];
}

/**
 * `domstats --block`: every disk (target and active path) of every running domain in one call,
 * or of one domain with `uuid`.
 */
export function domStatsBlockArgs(uuid?: string): string[] {
  if (uuid === undefined) return ["domstats", "--block", "--list-running"];
  return ["domstats", "--block", "--", uuidValue(uuid)];
}

/**
 * `domstats --state --block --backing`: the inventory's one bulk call (run state and every layer
 * of every disk of every domain).
 */
export function domStatsInventoryArgs(): string[] {
  return ["domstats", "--state", "--block", "--backing"];
}

/**
 * `domstats --block --backing`: every layer of every disk of every domain, running or not, in one
 * call (the first `block.N` of each disk name is its active layer).
 */
export function domStatsAllLayersArgs(): string[] {
  return ["domstats", "--block", "--backing"];
}

/** `pool-list --all --uuid`: every storage pool, active or not, by UUID. */
export function poolListUuidArgs(): string[] {
  return ["pool-list", "--all", "--uuid"];
}

/** `pool-dumpxml --pool UUID`: a pool's definition (its target directory). */
export function poolDumpXmlArgs(uuid: string): string[] {
  return ["pool-dumpxml", "--pool", uuidValue(uuid)];
}

/** `list --uuid --name`: the running (active) domains. */
export function listActiveArgs(): string[] {
  return ["list", "--uuid", "--name"];
}

/** `list --all --uuid --name`: every domain, running or not, with its UUID and name. */
export function listAllArgs(): string[] {
  return ["list", "--all", "--uuid", "--name"];
}

/** `list --all --persistent --uuid`: UUIDs of the persistent domains. */
export function listPersistentArgs(): string[] {
  return ["list", "--all", "--persistent", "--uuid"];
}

/** `event --all --loop --timestamp`: the long-lived event stream. */
export function eventLoopArgs(): string[] {
  return ["event", "--all", "--loop", "--timestamp"];
}

/**
 * `qemu-monitor-event --loop --timestamp --event JOB_STATUS_CHANGE`: QEMU's job state changes,
 * the only event sent when a block job is created (libvirt's own `block-job` events start at
 * ready or the end).
 */
export function qemuJobEventArgs(): string[] {
  return ["qemu-monitor-event", "--loop", "--timestamp", "--event", "JOB_STATUS_CHANGE"];
}

/** `list --all --uuid`: UUIDs of every domain, running or not. */
export function listAllUuidArgs(): string[] {
  return ["list", "--all", "--uuid"];
}

/** `define --file PATH`: (re)defines a persistent domain from an XML file blockboard wrote. */
export function defineArgs(file: string): string[] {
  return ["define", "--file", pathValue("file", file)];
}
