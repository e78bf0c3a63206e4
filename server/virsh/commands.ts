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
  libvirtUriSchema,
  migrateUriSchema,
  poolNameSchema,
  uuidSchema,
  volumeNameSchema,
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

// ------------------------------------------------------------------ migration and storage pools

/** How a storage migration copies the disks. */
export type MigrationStorage = "all" | "inc";

/** Options of {@link migrateArgs}. */
export interface MigrateOptions {
  /** The target's libvirt URI as the source host's virsh reaches it. */
  destUri: string;
  /**
   * Where QEMU sends the migration stream (`tcp://ADDRESS`): the target's address. Absent:
   * libvirt's default (the target's host name), right for a target on this machine.
   */
  migrateUri?: string;
  /** `all`: `--copy-storage-all` (every layer, flattened); `inc`: only the top layer. */
  storage: MigrationStorage;
  /** The domain is persistent: it moves with `--persistent --undefinesource`. */
  persistent: boolean;
  /** Limit in bytes/s; virsh takes whole MiB/s, so it is rounded up (never to 0 = unlimited). */
  bandwidthBytes?: BandwidthBytes;
}

const MiB = 1048576;

/** Whole MiB/s for a limit in bytes/s, rounded up so a small limit stays a limit. Pure. */
export function bandwidthMiBCeil(bandwidthBytes: BandwidthBytes): number {
  return Math.ceil(checked("bandwidthBytes", bandwidthBytesSchema, bandwidthBytes) / MiB);
}

/**
 * `migrate --live [--persistent --undefinesource] --copy-storage-all|inc [--bandwidth MiB]
 * --domain UUID --desturi URI --migrateuri tcp://ADDR`. Every value travels as a named option.
 * Without `--verbose`: progress comes from `domjobinfo`, not the process's stderr.
 */
export function migrateArgs(uuid: string, options: MigrateOptions): string[] {
  const args = ["migrate", "--live"];
  if (options.persistent) args.push("--persistent", "--undefinesource");
  if (options.storage !== "all" && options.storage !== "inc") {
    throw new CommandBuildError("storage", `must be "all" or "inc", got ${options.storage}`);
  }
  args.push(options.storage === "all" ? "--copy-storage-all" : "--copy-storage-inc");
  if (options.bandwidthBytes !== undefined && options.bandwidthBytes !== 0) {
    args.push("--bandwidth", String(bandwidthMiBCeil(options.bandwidthBytes)));
  }
  return [
    ...args,
    "--domain",
    uuidValue(uuid),
    "--desturi",
    checked("destUri", libvirtUriSchema, options.destUri),
    ...(options.migrateUri === undefined
      ? []
      : ["--migrateuri", checked("migrateUri", migrateUriSchema, options.migrateUri)]),
  ];
}

/** `domjobinfo --rawstats`: the domain's running job in exact numbers. */
export function domJobInfoArgs(uuid: string): string[] {
  return ["domjobinfo", "--domain", uuidValue(uuid), "--rawstats"];
}

/** `domjobabort`: cancels the domain's running job (a migration stays on the source). */
export function domJobAbortArgs(uuid: string): string[] {
  return ["domjobabort", "--domain", uuidValue(uuid)];
}

/** What {@link domCapabilitiesArgs} asks about. */
export interface DomCapabilitiesQuery {
  /** `qemu` (TCG) or `kvm`. */
  virtType: string;
  arch: string;
  machine: string;
}

const CAPS_WORD = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** `domcapabilities --virttype T --arch A --machine M`. */
export function domCapabilitiesArgs(query: DomCapabilitiesQuery): string[] {
  for (const [field, value] of Object.entries(query)) {
    if (!CAPS_WORD.test(value)) {
      throw new CommandBuildError(field, `is not a plain word: ${shownValue(value)}`);
    }
  }
  return [
    "domcapabilities",
    "--virttype",
    query.virtType,
    "--arch",
    query.arch,
    "--machine",
    query.machine,
  ];
}

/** `pool-list --all --name`: every storage pool's name. */
export function poolListArgs(): string[] {
  return ["pool-list", "--all", "--name"];
}

/** `pool-info --pool P --bytes`: state and sizes in bytes. */
export function poolInfoArgs(pool: string): string[] {
  return ["pool-info", "--pool", checked("pool", poolNameSchema, pool), "--bytes"];
}

/** `pool-dumpxml --pool P`: the pool's definition (its target directory), by name. */
export function poolDumpXmlByNameArgs(pool: string): string[] {
  return ["pool-dumpxml", "--pool", checked("pool", poolNameSchema, pool)];
}

/** `pool-define-as --name P --type dir --target DIR`: a directory pool over `dir`. */
export function poolDefineDirArgs(pool: string, dir: string): string[] {
  return [
    "pool-define-as",
    "--name",
    checked("pool", poolNameSchema, pool),
    "--type",
    "dir",
    "--target",
    checked("target directory", hostPathSchema, dir),
  ];
}

/** `pool-build --pool P`: makes a directory pool's directory. */
export function poolBuildArgs(pool: string): string[] {
  return ["pool-build", "--pool", checked("pool", poolNameSchema, pool)];
}

/** `pool-start --pool P`. */
export function poolStartArgs(pool: string): string[] {
  return ["pool-start", "--pool", checked("pool", poolNameSchema, pool)];
}

/** `pool-refresh --pool P`: re-reads the pool's directory (a file made outside libvirt). */
export function poolRefreshArgs(pool: string): string[] {
  return ["pool-refresh", "--pool", checked("pool", poolNameSchema, pool)];
}

/** Options of {@link volCreateAsArgs}. */
export interface VolCreateOptions {
  pool: string;
  name: string;
  /** Virtual size in bytes. */
  capacityBytes: number;
  /** Always explicit: nothing is probed. */
  format: CopyFormat;
  /** A backing file (path or volume) for a shallow copy's top layer, with its format. */
  backing?: { volume: string; format: CopyFormat };
}

/**
 * `vol-create-as --pool P --name N --capacity BYTES --format FMT [--backing-vol V
 * --backing-vol-format F]`.
 */
export function volCreateAsArgs(options: VolCreateOptions): string[] {
  if (!isCopyFormat(options.format)) {
    throw new CommandBuildError("format", `an explicit format (qcow2 or raw) is required`);
  }
  if (!Number.isSafeInteger(options.capacityBytes) || options.capacityBytes <= 0) {
    throw new CommandBuildError("capacityBytes", `must be a positive number of bytes`);
  }
  const args = [
    "vol-create-as",
    "--pool",
    checked("pool", poolNameSchema, options.pool),
    "--name",
    checked("name", volumeNameSchema, options.name),
    "--capacity",
    String(options.capacityBytes),
    "--format",
    options.format,
  ];
  if (options.backing) {
    if (options.format !== "qcow2") {
      throw new CommandBuildError("backing", "a backing volume needs a qcow2 volume");
    }
    if (!isCopyFormat(options.backing.format)) {
      throw new CommandBuildError("backing", "the backing volume's format must be explicit");
    }
    args.push(
      "--backing-vol",
      pathValue("backing", options.backing.volume),
      "--backing-vol-format",
      options.backing.format,
    );
  }
  return args;
}

/** `vol-list --pool P`: the pool's volumes (name and path). */
export function volListArgs(pool: string): string[] {
  return ["vol-list", "--pool", checked("pool", poolNameSchema, pool)];
}

/** `vol-path --vol N --pool P`: the file a volume is. */
export function volPathArgs(pool: string, name: string): string[] {
  return volumeOfPoolArgs("vol-path", pool, name);
}

/** `vol-delete --vol N --pool P`: deletes a volume blockboard created. */
export function volDeleteArgs(pool: string, name: string): string[] {
  return volumeOfPoolArgs("vol-delete", pool, name);
}

function volumeOfPoolArgs(subcommand: string, pool: string, name: string): string[] {
  return [
    subcommand,
    "--vol",
    checked("name", volumeNameSchema, name),
    "--pool",
    checked("pool", poolNameSchema, pool),
  ];
}

/** `vol-info --vol PATH`: whether libvirt knows a file as a volume of one of its pools. */
export function volInfoByPathArgs(path: string): string[] {
  return ["vol-info", "--vol", pathValue("path", path)];
}

/** `pool-list --name`: the running storage pools' names. */
export function poolListActiveArgs(): string[] {
  return ["pool-list", "--name"];
}
