/**
 * Where copies may be written: inside configured storage roots, never through a symlink, never
 * over an existing file unless reuse-external (then only a regular file or block device).
 *
 * @module
 */
import { JobInputError } from "../jobs/errors.ts";

/** Directory libvirt keeps images in; always a default storage root. */
export const LIBVIRT_IMAGES_DIR = "/var/lib/libvirt/images";

/**
 * File-system calls, injectable for tests. Synchronous: a few local `stat`s, and the terminal
 * must decide before it runs anything.
 */
export interface DestinationFs {
  realPath(path: string): string;
  lstat(path: string): Deno.FileInfo;
  stat(path: string): Deno.FileInfo;
}

const realFs: DestinationFs = {
  realPath: (p) => Deno.realPathSync(p),
  lstat: (p) => Deno.lstatSync(p),
  stat: (p) => Deno.statSync(p),
};

/** Options of {@link checkCopyDestination}. */
export interface DestinationOptions {
  /** The destination must already exist (virsh `--reuse-external`). */
  reuseExternal: boolean;
  /** Configured storage roots (absolute); null: no root restriction (library use, lab tests). */
  roots: readonly string[] | null;
  fs?: DestinationFs;
}

/** Refuses a parent outside every root, and a root writable by everyone. */
function checkInsideRoots(
  parent: string,
  realParent: string,
  roots: readonly string[],
  fs: DestinationFs,
): void {
  const refuse = (why: string): never => {
    throw new JobInputError("dest", why);
  };
  if (roots.length === 0) refuse("no storage roots are configured (--storage-root)");
  const matched = roots.flatMap((root) => {
    try {
      return [fs.realPath(root)];
    } catch {
      return [];
    }
  }).find((realRoot) => isInside(realParent, realRoot));
  if (matched === undefined) {
    refuse(
      `${parent} is not inside a storage root (${roots.join(", ")}); ` +
        "start blockboard with --storage-root to allow another directory",
    );
  }
  const rootInfo = fs.stat(matched!);
  if (rootInfo.mode !== null && (rootInfo.mode & 0o002) !== 0) {
    refuse(`the storage root ${matched} is writable by everyone; fix its permissions first`);
  }
}

/** True when `child` is `root` itself or below it (both canonical, absolute). */
function isInside(child: string, root: string): boolean {
  const base = root.endsWith("/") ? root : `${root}/`;
  return child === root || child.startsWith(base);
}

/**
 * Why a copy destination is unsafe, or null: a relative path, `.`/`..` segments, NUL, a parent
 * that does not exist or whose real path lies outside every root, a root writable by everyone, a
 * symlink at the destination, an existing file without reuse-external, and anything but a
 * regular file or block device with it. The one rule for the copy form, the API and the terminal.
 */
export function copyDestinationProblem(dest: string, options: DestinationOptions): string | null {
  try {
    checkCopyDestination(dest, options);
    return null;
  } catch (e) {
    if (e instanceof JobInputError) return e.reason;
    throw e;
  }
}

/** {@link copyDestinationProblem} as a {@link JobInputError}`("dest", why)`, for job operations. */
export function checkCopyDestination(dest: string, options: DestinationOptions): void {
  const fs = options.fs ?? realFs;
  const refuse = (why: string): never => {
    throw new JobInputError("dest", why);
  };
  if (dest.includes("\0")) refuse("must not contain NUL");
  if (!dest.startsWith("/")) refuse("must be an absolute path");
  if (dest.split("/").some((s) => s === ".." || s === ".")) {
    refuse("must not contain '.' or '..' segments");
  }
  const name = dest.slice(dest.lastIndexOf("/") + 1);
  if (name === "") refuse("must name a file, not a directory");
  const parent = dest.slice(0, dest.lastIndexOf("/")) || "/";
  let realParent: string;
  try {
    realParent = fs.realPath(parent);
  } catch {
    return refuse(`the directory ${parent} does not exist`);
  }
  if (options.roots !== null) checkInsideRoots(parent, realParent, options.roots, fs);
  const parentInfo = fs.stat(realParent);
  if (!parentInfo.isDirectory) refuse(`${parent} is not a directory`);

  let info: Deno.FileInfo | null = null;
  try {
    info = fs.lstat(dest);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      refuse(`cannot inspect: ${(e as Error).message}`);
    }
  }
  if (info?.isSymlink) refuse("is a symbolic link; blockboard never writes through links");
  if (options.reuseExternal) {
    if (!info) refuse("does not exist; reuseExternal needs a destination you created");
    if (!info!.isFile && !info!.isBlockDevice) {
      refuse("must be a regular file or a block device");
    }
  } else if (info) {
    refuse("already exists; choose a new file name, or set reuseExternal with a format");
  }
}

/**
 * Default storage roots: libvirt's image directory plus the directory of every disk image the
 * host knows at start, without duplicates, in a stable order.
 */
export function defaultStorageRoots(imagePaths: readonly string[]): string[] {
  const roots = new Set<string>([LIBVIRT_IMAGES_DIR]);
  for (const path of imagePaths) {
    if (!path.startsWith("/")) continue;
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (dir && dir !== "/dev" && !dir.startsWith("/dev/")) roots.add(dir);
  }
  // A directory below another root adds nothing.
  const all = [...roots];
  return all.filter((root) => !all.some((other) => other !== root && isInside(root, other)));
}
