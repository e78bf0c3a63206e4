/**
 * The default storage roots, when none are configured: libvirt's image directory, the target
 * directories of libvirt's storage pools, and the directories of the *active layers* of defined
 * domains. Never the directory of a backing file: a backing file can be named by any image's
 * header (a pre-created copy destination, a guest-written header), so trusting its directory
 * would let one accepted header (`/etc/shadow`) widen where the next copies may be written.
 * Directories that hold other images are reported as "not a storage root" with the flag that
 * adds them.
 *
 * @module
 */
import { domStatsAllLayersArgs, poolDumpXmlArgs, poolListUuidArgs } from "../virsh/commands.ts";
import type { DomainStats } from "../virsh/parse/domstats.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import { parsePoolXml } from "../virsh/parse/storage_pool.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { isInside } from "./destinations.ts";

/** Directory libvirt keeps images in; always a default storage root. */
export const LIBVIRT_IMAGES_DIR = "/var/lib/libvirt/images";

/** What the host's libvirt says about where images live. */
export interface HostImages {
  /** Target directories of directory-backed storage pools. */
  poolDirs: readonly string[];
  /** Active layers (what each disk runs on) of every defined or running domain. */
  activeLayers: readonly string[];
  /** Every other layer: backing files, copy targets. */
  otherLayers: readonly string[];
}

/** The default roots and the image directories that are not roots. */
export interface StorageRoots {
  /** Where copies may be written, without nested duplicates, in a stable order. */
  roots: string[];
  /** Directories holding images (backing files) that are not inside a root, sorted. */
  notRoots: string[];
  /** What could not be read from libvirt (the roots then fall back to what was read). */
  problems: string[];
}

/** The directory of an absolute file path, or null for devices and relative names. Pure. */
function directoryOf(path: string): string | null {
  if (!path.startsWith("/")) return null;
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  if (dir === "/" || dir === "/dev" || dir.startsWith("/dev/")) return null;
  return dir;
}

/** Drops directories inside another one of the list. Pure. */
function foldNested(dirs: Iterable<string>): string[] {
  const all = [...new Set(dirs)];
  return all.filter((d) => !all.some((other) => other !== d && isInside(d, other)));
}

/** Active and other layers from one `domstats --block --backing` (first slot per disk = active). Pure. */
export function layersFromDomstats(stats: readonly DomainStats[]): {
  activeLayers: string[];
  otherLayers: string[];
} {
  const activeLayers: string[] = [];
  const otherLayers: string[] = [];
  for (const domain of stats) {
    const seen = new Set<string>();
    for (const block of domain.blocks) {
      const first = !seen.has(block.name);
      seen.add(block.name);
      if (block.path === null) continue;
      (first ? activeLayers : otherLayers).push(block.path);
    }
  }
  return { activeLayers, otherLayers };
}

/** The default roots from what libvirt reported; see the module doc. Pure. */
export function storageRootsFrom(images: HostImages): Omit<StorageRoots, "problems"> {
  const candidates = [LIBVIRT_IMAGES_DIR, ...images.poolDirs];
  for (const path of images.activeLayers) {
    const dir = directoryOf(path);
    if (dir !== null) candidates.push(dir);
  }
  const roots = foldNested(candidates.filter((d) => d.startsWith("/") && d !== "/"));
  return { roots, notRoots: directoriesOutsideRoots(images.otherLayers, roots) };
}

/**
 * Asks libvirt (pools, one bulk domstats) and computes the default roots. Never throws: what
 * could not be read is listed in `problems` and the roots fall back to the rest.
 */
export async function discoverStorageRoots(runner: VirshRunner): Promise<StorageRoots> {
  const problems: string[] = [];
  const poolDirs: string[] = [];
  try {
    const uuids = parseUuidList((await runner.run(poolListUuidArgs())).stdout);
    for (const uuid of uuids) {
      try {
        const pool = parsePoolXml((await runner.run(poolDumpXmlArgs(uuid))).stdout);
        if (pool.isDirectory && pool.path) poolDirs.push(pool.path);
      } catch (e) {
        problems.push(`could not read storage pool ${uuid}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    problems.push(`could not list storage pools: ${(e as Error).message}`);
  }
  let layers = { activeLayers: [] as string[], otherLayers: [] as string[] };
  try {
    layers = layersFromDomstats(parseDomstats((await runner.run(domStatsAllLayersArgs())).stdout));
  } catch (e) {
    problems.push(`could not list disk images: ${(e as Error).message}`);
  }
  return { ...storageRootsFrom({ poolDirs, ...layers }), problems };
}

/**
 * The directories of `imagePaths` that are not inside any of `roots` (lexically; for display:
 * the destination rule itself resolves real paths), sorted, without duplicates. Pure.
 */
export function directoriesOutsideRoots(
  imagePaths: readonly string[],
  roots: readonly string[],
): string[] {
  const outside = new Set<string>();
  for (const path of imagePaths) {
    const dir = directoryOf(path);
    if (dir !== null && !roots.some((root) => isInside(dir, root))) outside.add(dir);
  }
  return [...outside].sort();
}

/** Log lines for start-up: the roots, the image directories that are not roots, and why. Pure. */
export function describeStorageRoots(found: StorageRoots): string[] {
  const lines = found.problems.map((p) => `storage roots: ${p}`);
  lines.push(
    `storage roots (libvirt's image directory, pool targets, directories of active disks): ${
      found.roots.join(", ")
    }`,
  );
  for (const dir of found.notRoots) {
    lines.push(
      `not a storage root: ${dir} holds backing files only; copies are not written there unless you start with --storage-root ${dir}`,
    );
  }
  return lines;
}
