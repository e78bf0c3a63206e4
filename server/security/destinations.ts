/**
 * Where copies may be written: inside configured storage roots, through directories nobody but
 * root (or blockboard's own user) can change, never through a symlink, never over an existing
 * file unless reuse-external (then only a regular file or block device).
 *
 * Why directories matter: libvirt opens the destination *by name*, as root, in another process,
 * some time after blockboard looked at it. Whoever can write a directory on that path can swap a
 * component for a symlink in between and have root create or overwrite a file anywhere. No check
 * made by blockboard can close that window; only refusing paths that others can change does. The
 * rule is sshd's StrictModes: every directory from `/` down to the destination's parent must be
 * owned by root or blockboard's uid and not writable by group or others. One exception, above
 * the storage root only: a sticky root-owned directory such as `/tmp` (others may create names in
 * it, but cannot rename or remove the trusted directory below it). Inside a root, sticky does not
 * help: others could create the destination's own name first.
 *
 * @module
 */
import { JobInputError } from "../jobs/errors.ts";

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
  /** Owners trusted besides root; default: blockboard's own uid. */
  trustedUids?: readonly number[];
}

const refuse = (why: string): never => {
  throw new JobInputError("dest", why);
};

/** The real path of the root `realChild` lies in, or null (`roots` as configured). */
function matchingRoot(
  realChild: string,
  roots: readonly string[],
  fs: DestinationFs,
): string | null {
  return roots.flatMap((root) => {
    try {
      return [fs.realPath(root)];
    } catch {
      return [];
    }
  }).find((realRoot) => isInside(realChild, realRoot)) ?? null;
}

/** True when `child` is `root` itself or below it (both canonical, absolute). Pure. */
export function isInside(child: string, root: string): boolean {
  const base = root.endsWith("/") ? root : `${root}/`;
  return child === root || child.startsWith(base);
}

/** `/a/b/c` → `/`, `/a`, `/a/b`, `/a/b/c`. Pure. */
function selfAndAncestors(dir: string): string[] {
  const parts = dir.split("/").filter((p) => p !== "");
  return ["/", ...parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`)];
}

function trustedOwners(options: { trustedUids?: readonly number[] }): Set<number> {
  return new Set([0, ...(options.trustedUids ?? [Deno.uid() ?? 0])]);
}

/**
 * Why a directory path others could change is unsafe to write through, or null. `realDir` and
 * `realRoot` are canonical; `realRoot` null means no root (then only the ancestors of `realDir`
 * may be sticky). See the module doc for the rule and why.
 */
export function untrustedDirectoryProblem(
  realDir: string,
  realRoot: string | null,
  options: { fs?: DestinationFs; trustedUids?: readonly number[] } = {},
): string | null {
  const fs = options.fs ?? realFs;
  const owners = trustedOwners(options);
  for (const dir of selfAndAncestors(realDir)) {
    let info: Deno.FileInfo;
    try {
      info = fs.lstat(dir);
    } catch (e) {
      return `cannot inspect ${dir}: ${(e as Error).message}`;
    }
    if (info.isSymlink) return `${dir} changed into a symbolic link while it was checked`;
    const mode = info.mode ?? 0;
    const uid = info.uid ?? 0;
    const boundary = realRoot ?? realDir;
    const aboveRoot = dir !== boundary && isInside(boundary, dir);
    const sticky = (mode & 0o1000) !== 0;
    const who = dir === realRoot ? `the storage root ${dir}` : `the directory ${dir}`;
    if (!owners.has(uid)) {
      return `${who} belongs to uid ${uid}, not to root or blockboard's user: that user could redirect the copy anywhere (chown it to root)`;
    }
    if ((mode & 0o022) !== 0 && !(aboveRoot && sticky && uid === 0)) {
      const whom = (mode & 0o002) !== 0 ? "everyone" : "its group";
      return `${who} is writable by ${whom} (mode ${
        (mode & 0o7777).toString(8)
      }): others could swap it for a link between the check and the copy; fix its permissions first (chmod go-w)`;
    }
  }
  return null;
}

/**
 * Why QEMU must not open an existing image at `realPath` as a layer: outside every root, or in a
 * directory others can change. Null when it may. For the layers a destination's header names.
 */
export function layerPlaceProblem(
  realPath: string,
  roots: readonly string[] | null,
  options: { fs?: DestinationFs; trustedUids?: readonly number[] } = {},
): string | null {
  const fs = options.fs ?? realFs;
  let realRoot: string | null = null;
  if (roots !== null) {
    realRoot = matchingRoot(realPath, roots, fs);
    if (realRoot === null) {
      return `it is outside the storage roots (${
        roots.join(", ")
      }); QEMU would serve that file to the guest`;
    }
  }
  const dir = realPath.slice(0, realPath.lastIndexOf("/")) || "/";
  return untrustedDirectoryProblem(dir, realRoot, options);
}

/**
 * Why a copy destination is unsafe, or null: a relative path, `.`/`..` segments, NUL, a parent
 * that does not exist or whose real path lies outside every root, a directory on the way that
 * others can change, a symlink at the destination, an existing file without reuse-external, and
 * with it anything but a regular file or block device, or a file others own or can write. The
 * one rule for the copy form, the API and the terminal.
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
  let realRoot: string | null = null;
  if (options.roots !== null) {
    if (options.roots.length === 0) refuse("no storage roots are configured (--storage-root)");
    realRoot = matchingRoot(realParent, options.roots, fs);
    if (realRoot === null) {
      refuse(
        `${parent} is not inside a storage root (${options.roots.join(", ")}); ` +
          "start blockboard with --storage-root to allow another directory",
      );
    }
  }
  const parentInfo = fs.stat(realParent);
  if (!parentInfo.isDirectory) refuse(`${parent} is not a directory`);
  const untrusted = untrustedDirectoryProblem(realParent, realRoot, options);
  if (untrusted !== null) refuse(untrusted);

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
    if (info!.isFile) {
      // Its header is read before the copy: whoever else can write it could change it after.
      const uid = info!.uid ?? 0;
      if (!trustedOwners(options).has(uid)) {
        refuse(`belongs to uid ${uid}, not to root or blockboard's user (chown it first)`);
      }
      if (((info!.mode ?? 0) & 0o022) !== 0) {
        refuse("is writable by group or others; chmod go-w it first");
      }
    }
  } else if (info) {
    refuse("already exists; choose a new file name, or set reuseExternal with a format");
  }
}
