/**
 * The migration pre-flight's pure decisions: whether the target can take the domain's disks
 * (a storage pool over each disk's directory, nothing in the way, the backing chain present for
 * an incremental copy, room in each pool) and its CPU/machine (`domcapabilities`). Each refusal
 * is a sentence an operator can act on.
 *
 * @module
 */
import type { DomainCapabilities } from "../virsh/parse/domcaps.ts";
import type { MigrationStorage } from "../virsh/commands.ts";
import {
  baseName,
  dirOf,
  type HostPool,
  poolOverDirectory,
  poolOverDirectoryCommands,
} from "./storage_pools.ts";

/** One disk of the domain as the pre-flight sees it. */
export interface MigratingDisk {
  target: string;
  /** `file`, `block`, `network`, … (only `file` disks can be migrated here). */
  type: string;
  /** Top first; each layer's path and format. */
  chain: { path: string; format: string | null }[];
  /** Virtual size (bytes). */
  capacity: number;
  /** Bytes the top layer holds (what an incremental copy sends). */
  topAllocation: number;
}

/** A volume blockboard itself creates on the target before the migration (incremental copy). */
export interface TargetVolume {
  pool: string;
  name: string;
  path: string;
  capacityBytes: number;
  format: "qcow2";
  backing: { volume: string; format: "qcow2" | "raw" };
}

/** What the target needs, once every check passed. */
export interface TargetStoragePlan {
  /** Files libvirt will create on the target (copy-storage-all): deleted again on failure. */
  precreatedByLibvirt: { pool: string; name: string; path: string }[];
  /** Volumes blockboard creates first (copy-storage-inc tops). */
  createByUs: TargetVolume[];
}

/** A refusal of the pre-flight: the sentence says what to do. */
export class PreflightRefusal extends Error {
  /** HTTP status for the API: 409 (state of the hosts), 400 (the request itself). */
  readonly status: 400 | 409;
  readonly code = "preflight_refused";
  constructor(message: string, status: 400 | 409 = 409) {
    super(message);
    this.name = "PreflightRefusal";
    this.status = status;
  }
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Bytes in words for sentences (`1.5 GiB`, `64 MiB`). Pure. */
export function sizeWords(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${Math.ceil(bytes / MiB)} MiB`;
}

/**
 * Decides where every disk lands on the target and what must be created there, or throws
 * {@link PreflightRefusal}. Pure.
 */
export function planTargetStorage(
  disks: readonly MigratingDisk[],
  pools: readonly HostPool[],
  storage: MigrationStorage,
  targetHost: { name: string; uri: string },
): TargetStoragePlan {
  const target = targetHost.name;
  const plan: TargetStoragePlan = { precreatedByLibvirt: [], createByUs: [] };
  const need = new Map<string, number>();
  for (const disk of disks) {
    if (disk.chain.length === 0) continue; // an empty cdrom travels as configuration only
    if (disk.type !== "file") {
      throw new PreflightRefusal(
        `disk ${disk.target} is a ${disk.type} disk; blockboard migrates the storage of file-backed disks only`,
      );
    }
    const top = disk.chain[0];
    const dir = dirOf(top.path);
    const pool = poolOverDirectory(pools, dir);
    if (!pool) {
      throw new PreflightRefusal(
        `host ${target} has no running storage pool over ${dir}, so disk ${disk.target} (${top.path}) cannot be created there. Give it one, then try again: ${
          poolOverDirectoryCommands(targetHost.uri, pools, dir).join(" ; ")
        }`,
      );
    }
    if (pools.some((p) => p.volumes.includes(top.path))) {
      throw new PreflightRefusal(
        `${top.path} already exists on host ${target}; the migration would write disk ${disk.target} over it. Remove or rename that file on ${target} first`,
      );
    }
    if (storage === "all") {
      plan.precreatedByLibvirt.push({ pool: pool.name, name: baseName(top.path), path: top.path });
      need.set(pool.name, (need.get(pool.name) ?? 0) + disk.capacity);
      continue;
    }
    const below = disk.chain.slice(1);
    if (below.length === 0 || top.format !== "qcow2") {
      throw new PreflightRefusal(
        `disk ${disk.target} has no backing chain under a qcow2 top, so an incremental copy has nothing to build on; use storage "all"`,
        400,
      );
    }
    const missing = below.find((l) => !pools.some((p) => p.volumes.includes(l.path)));
    if (missing) {
      throw new PreflightRefusal(
        `an incremental copy needs disk ${disk.target}'s backing chain on host ${target}, and ${missing.path} is not in any of its storage pools. Copy the backing files there first or use storage "all"`,
      );
    }
    const backingFormat = below[0].format;
    if (backingFormat !== "qcow2" && backingFormat !== "raw") {
      throw new PreflightRefusal(
        `the format of ${
          below[0].path
        } is not recorded in the domain XML (${backingFormat}); blockboard never probes a format`,
      );
    }
    plan.createByUs.push({
      pool: pool.name,
      name: baseName(top.path),
      path: top.path,
      capacityBytes: disk.capacity,
      format: "qcow2",
      backing: { volume: below[0].path, format: backingFormat },
    });
    need.set(pool.name, (need.get(pool.name) ?? 0) + disk.topAllocation);
  }
  for (const [name, bytes] of need) {
    const pool = pools.find((p) => p.name === name)!;
    if (pool.available !== null && pool.available < bytes) {
      throw new PreflightRefusal(
        `storage pool ${name} on host ${target} has ${
          sizeWords(pool.available)
        } free and the disks need up to ${sizeWords(bytes)}; free space there first`,
      );
    }
  }
  return plan;
}

/** The platform of the domain, from its live XML. */
export interface DomainPlatform {
  virtType: string;
  arch: string;
  machine: string;
  vcpus: number;
  /** `<cpu mode=…>`, null without `<cpu>` (QEMU's default model). */
  cpuMode: string | null;
  /** `<cpu><model>` for a custom CPU. */
  cpuModel: string | null;
}

/**
 * Checks the target's `domcapabilities` for the domain's type/arch/machine: the vCPU count, and
 * the CPU: `host-passthrough` and `host-model` must be supported, a custom model usable. A TCG
 * domain (`type='qemu'`) without `<cpu>` runs QEMU's default model, which every TCG host
 * emulates, so only the machine and vCPUs are checked then. Pure; throws
 * {@link PreflightRefusal}.
 */
export function checkCapabilities(
  platform: DomainPlatform,
  caps: DomainCapabilities,
  target: string,
): void {
  if (caps.vcpuMax !== null && platform.vcpus > caps.vcpuMax) {
    throw new PreflightRefusal(
      `host ${target} runs at most ${caps.vcpuMax} vCPUs for ${platform.machine}; the domain has ${platform.vcpus}`,
    );
  }
  const mode = platform.cpuMode;
  if (mode === "host-passthrough" || mode === "host-model") {
    if (!caps.cpuModes[mode]) {
      throw new PreflightRefusal(
        `the domain's CPU mode ${mode} is not supported on host ${target} for ${platform.virtType}`,
      );
    }
  } else if (platform.cpuModel && !caps.usableModels.includes(platform.cpuModel)) {
    throw new PreflightRefusal(
      `host ${target} cannot run the CPU model ${platform.cpuModel} the domain uses`,
    );
  }
}
