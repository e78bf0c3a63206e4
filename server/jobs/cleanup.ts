/**
 * Layers that left a disk's chain (after a pivot, commit or pull) stay on the host's disk; this
 * module names them and deletes them on request, refusing any file that is still used: by this
 * disk's chain, by any domain's live or persistent definition (backing chains included), or that
 * lies outside the storage roots. Deleting a file is not a virsh call: the route audits it.
 * {@link filesInUse} is the one "still used elsewhere" rule: clean-up, commit `--delete` and the
 * move's clean-up all ask it.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { dumpXmlArgs, listAllUuidArgs } from "../virsh/commands.ts";
import { parseDomainXml } from "../virsh/parse/domxml.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import type { VirshRunner } from "../virsh/runner.ts";

/** Files of `before` that are not in `after`, in chain order. Pure. */
export function leftChain(before: readonly string[], after: readonly string[]): string[] {
  const kept = new Set(after);
  return [...new Set(before)].filter((p) => !kept.has(p));
}

/** What a clean-up would do with one file. */
export interface CleanupVerdict {
  path: string;
  /** True: may be deleted. */
  deletable: boolean;
  /** Why not (a sentence), or null. */
  reason: string | null;
}

/** Options of {@link checkCleanup}. */
export interface CleanupCheckOptions {
  runner: VirshRunner;
  /** Storage roots; null or empty: nothing may be deleted. */
  roots: readonly string[] | null;
  /** Reads a qcow2 image's backing file name (injectable for tests). */
  backingOf?: (path: string) => Promise<string | null>;
}

/**
 * Decides, for each file, whether deleting it is safe. Reads `list --all --uuid` and, per
 * domain, the live and the persistent XML (`dumpxml`, `dumpxml --inactive`); a shut-off domain's
 * XML names only its top layers, so their backing chains are read from the qcow2 headers.
 */
export async function checkCleanup(
  files: readonly string[],
  options: CleanupCheckOptions,
): Promise<CleanupVerdict[]> {
  const used = await usedFiles(options);
  const roots = (options.roots ?? []).flatMap((r) => {
    try {
      return [Deno.realPathSync(r)];
    } catch {
      return [];
    }
  });
  return Promise.all(files.map(async (path): Promise<CleanupVerdict> => {
    const refuse = (reason: string) => ({ path, deletable: false, reason });
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch {
      return refuse("it is already gone");
    }
    if (!info.isFile) return refuse("it is not a regular file (a symlink or device)");
    let real: string;
    try {
      real = `${Deno.realPathSync(dirname(path))}/${path.split("/").pop()}`;
    } catch {
      return refuse("its directory cannot be resolved");
    }
    if (!roots.some((root) => real === root || real.startsWith(`${root}/`))) {
      return refuse(
        roots.length === 0
          ? "no storage roots are configured, so blockboard deletes nothing"
          : `it is outside the storage roots (${(options.roots ?? []).join(", ")})`,
      );
    }
    const user = used.get(path) ?? used.get(real);
    if (user) return refuse(`it is still used by ${user}`);
    return { path, deletable: true, reason: null };
  }));
}

/** A file some domain still uses. */
export interface FileInUse {
  path: string;
  /** Who uses it: `domain NAME, disk vda`, `domain NAME (persistent definition), disk vda`. */
  usedBy: string;
}

/** Options of {@link filesInUse}. */
export interface FilesInUseOptions {
  runner: VirshRunner;
  /**
   * A disk whose own use does not count (in its live and persistent definition): the disk whose
   * job would delete the files.
   */
  except?: { uuid: string; target: string };
  /** Reads a qcow2 image's backing file name (injectable for tests). */
  backingOf?: (path: string) => Promise<string | null>;
}

/**
 * Of `files`, those some domain still uses, each with who uses it, in the order given: every
 * domain's live XML and persistent definition (`dumpxml`, `dumpxml --inactive`), mirror targets,
 * and the backing chains below their layers as the qcow2 headers name them (a shut-off domain's
 * XML names only its top layers). Paths compare as given and as resolved (symlinks).
 */
export async function filesInUse(
  files: readonly string[],
  options: FilesInUseOptions,
): Promise<FileInUse[]> {
  const used = await usedFiles(options);
  return files.flatMap((path) => {
    let user = used.get(path);
    if (!user) {
      try {
        user = used.get(Deno.realPathSync(path));
      } catch { /* a missing file is used by nobody */ }
    }
    return user ? [{ path, usedBy: user }] : [];
  });
}

/** Every image path any domain uses (live, persistent, backing chains) → who uses it. */
async function usedFiles(options: FilesInUseOptions): Promise<Map<string, string>> {
  const { runner, except } = options;
  const backingOf = options.backingOf ?? qcow2BackingFile;
  const uuids = parseUuidList((await runner.run(listAllUuidArgs())).stdout);
  const used = new Map<string, string>();
  const note = (path: string, who: string) => {
    if (!used.has(path)) used.set(path, who);
    try {
      const real = Deno.realPathSync(path);
      if (!used.has(real)) used.set(real, who);
    } catch { /* missing files cannot be deleted anyway */ }
  };
  await Promise.all(uuids.map(async (uuid) => {
    for (const inactive of [false, true]) {
      let xml;
      try {
        xml = parseDomainXml((await runner.run(dumpXmlArgs(uuid, { inactive }))).stdout);
      } catch {
        continue; // a domain that vanished meanwhile uses nothing
      }
      const label = `domain ${xml.name}${inactive ? " (persistent definition)" : ""}`;
      for (const disk of xml.disks) {
        if (except && except.uuid === uuid && except.target === disk.target) continue;
        const who = `${label}, disk ${disk.target}`;
        if (disk.mirror?.path) note(disk.mirror.path, who);
        for (const layer of disk.chain) note(layer.path, who);
        // The XML may stop at the top layer (a shut-off domain): follow the image headers.
        let path: string | null = disk.chain.at(-1)?.path ?? null;
        for (let depth = 0; path && depth < 64; depth++) {
          const next = await backingOf(path).catch(() => null);
          if (!next) break;
          note(next, `${who} (backing chain)`);
          path = next;
        }
      }
    }
  }));
  return used;
}

/**
 * The backing file a qcow2 image names in its header (absolute; relative names resolve against
 * the image's directory), or null for other formats and images without one.
 */
export async function qcow2BackingFile(path: string): Promise<string | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const head = new Uint8Array(20);
    if ((await file.read(head)) !== 20) return null;
    const view = new DataView(head.buffer);
    if (view.getUint32(0) !== 0x514649fb) return null; // "QFI\xfb"
    const offset = Number(view.getBigUint64(8));
    const size = view.getUint32(16);
    if (offset === 0 || size === 0 || size > 4096) return null;
    const name = new Uint8Array(size);
    await file.seek(offset, Deno.SeekMode.Start);
    if ((await file.read(name)) !== size) return null;
    const text = new TextDecoder().decode(name);
    if (text.includes(":") && !text.startsWith("/")) return null; // a protocol (nbd:, ...)
    return isAbsolute(text) ? text : resolve(dirname(path), text);
  } finally {
    file.close();
  }
}

/** What {@link deleteFiles} did with each file. */
export interface DeletionResult {
  path: string;
  deleted: boolean;
  /** Why not, or null. */
  reason: string | null;
}

/** Deletes the files judged deletable; everything else is reported with its reason. */
export async function deleteFiles(verdicts: readonly CleanupVerdict[]): Promise<DeletionResult[]> {
  const results: DeletionResult[] = [];
  for (const v of verdicts) {
    if (!v.deletable) {
      results.push({ path: v.path, deleted: false, reason: v.reason });
      continue;
    }
    try {
      await Deno.remove(v.path);
      results.push({ path: v.path, deleted: true, reason: null });
    } catch (e) {
      results.push({ path: v.path, deleted: false, reason: (e as Error).message });
    }
  }
  return results;
}
