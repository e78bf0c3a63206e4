/**
 * A host's storage pools as the migration pre-flight and remote copies need them: name, state,
 * target directory, free bytes and the volumes' paths. Read through the host's own runner.
 *
 * @module
 */
import type { VirshRunner } from "../virsh/runner.ts";
import { displayCommandLine } from "../virsh/display.ts";
import {
  poolBuildArgs,
  poolDefineDirArgs,
  poolDumpXmlByNameArgs,
  poolInfoArgs,
  poolListArgs,
  poolRefreshArgs,
  poolStartArgs,
  volListArgs,
} from "../virsh/commands.ts";
import { parsePoolXml } from "../virsh/parse/storage_pool.ts";
import { parsePoolInfo, parsePoolNames, parseVolList } from "../virsh/parse/storage_volumes.ts";

/** One storage pool of a host. */
export interface HostPool {
  name: string;
  type: string;
  /** Target directory (dir/fs/netfs pools), or null. */
  path: string | null;
  /** True for pools whose volumes are files in `path`. */
  isDirectory: boolean;
  /** `running` when usable. */
  state: string;
  /** Free bytes; null when not running. */
  available: number | null;
  /** Volume paths; empty for a pool that is not running. */
  volumes: string[];
}

/**
 * Every pool of the host with its volumes. Running directory pools are refreshed first, so a
 * file made outside libvirt (an earlier migration's image) is seen.
 */
export async function readHostPools(runner: VirshRunner): Promise<HostPool[]> {
  const names = parsePoolNames((await runner.run(poolListArgs())).stdout);
  return await Promise.all(names.map(async (name): Promise<HostPool> => {
    const [xml, info] = await Promise.all([
      runner.run(poolDumpXmlByNameArgs(name)),
      runner.run(poolInfoArgs(name)),
    ]);
    const target = parsePoolXml(xml.stdout);
    const state = parsePoolInfo(info.stdout);
    let volumes: string[] = [];
    let available = state.available;
    if (state.state === "running") {
      await runner.run(poolRefreshArgs(name));
      const [vols, fresh] = await Promise.all([
        runner.run(volListArgs(name)),
        runner.run(poolInfoArgs(name)),
      ]);
      volumes = parseVolList(vols.stdout).map((v) => v.path);
      available = parsePoolInfo(fresh.stdout).available;
    }
    return {
      name,
      type: target.type,
      path: target.path,
      isDirectory: target.isDirectory,
      state: state.state,
      available,
      volumes,
    };
  }));
}

/** The directory of an absolute path (`/a/b/c.qcow2` → `/a/b`). Pure. */
export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The file name of a path. Pure. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * The running directory pool whose target directory is exactly `dir` (what libvirt's own
 * pre-creation looks up), or undefined. Pure.
 */
export function poolOverDirectory(pools: readonly HostPool[], dir: string): HostPool | undefined {
  return pools.find((p) => p.isDirectory && p.state === "running" && p.path === dir);
}

/**
 * The exact commands that give host `uri` a running directory pool over `dir`, for a refusal an
 * operator can act on: `pool-start` of a directory pool already defined there but not running,
 * else `pool-define-as`, `pool-build` and `pool-start` of a new one, named after the directory
 * and unlike any pool the host has. Pure.
 */
export function poolOverDirectoryCommands(
  uri: string,
  pools: readonly HostPool[],
  dir: string,
): string[] {
  const stopped = pools.find((p) => p.isDirectory && p.path === dir);
  if (stopped) return [displayCommandLine(uri, poolStartArgs(stopped.name))];
  const stem = baseName(dir).replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[-.]+/, "") || "images";
  let name = stem;
  for (let n = 2; pools.some((p) => p.name === name); n++) name = `${stem}-${n}`;
  return [poolDefineDirArgs(name, dir), poolBuildArgs(name), poolStartArgs(name)]
    .map((args) => displayCommandLine(uri, args));
}
