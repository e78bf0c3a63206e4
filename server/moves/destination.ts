/**
 * Where a move may write: every new file and every directory it creates goes through the one
 * copy-destination rule (server/security/destinations.ts: inside a storage root, through
 * directories only root or blockboard's user can change, no links, nothing existing overwritten).
 *
 * @module
 */
import { checkCopyDestination } from "../security/destinations.ts";
import { JobInputError } from "../jobs/errors.ts";
import type { MovePlan } from "./model.ts";

/** What the checks need. */
export interface MoveDestinationOptions {
  /** Storage roots; null: no root restriction (lab tests), the other rules still apply. */
  roots: readonly string[] | null;
}

/** The directories a plan needs that do not exist yet, parents first. */
export function missingDirectories(plan: MovePlan): string[] {
  const wanted = [plan.destDir, ...plan.disks.map((d) => d.dir)];
  const missing: string[] = [];
  for (const dir of wanted) {
    if (missing.includes(dir)) continue;
    try {
      Deno.lstatSync(dir);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) missing.push(dir);
      else throw e;
    }
  }
  return missing;
}

function asDestDir(path: string, e: unknown): never {
  if (e instanceof JobInputError) throw new JobInputError("destDir", `${path} ${e.reason}`);
  throw e;
}

/**
 * Refuses (JobInputError on `destDir`) a plan that would write anywhere the rule forbids. A
 * directory to create is checked as a new destination in its parent; a file is checked in its
 * directory once that exists (so before start: in an existing destination directory).
 */
export function checkMoveDestination(plan: MovePlan, options: MoveDestinationOptions): void {
  const missing = missingDirectories(plan);
  for (const dir of missing) {
    const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
    if (missing.includes(parent)) continue; // created by the move, checked as its parent is
    try {
      checkCopyDestination(dir, { reuseExternal: false, roots: options.roots });
    } catch (e) {
      asDestDir(dir, e);
    }
  }
  for (const dir of [plan.destDir, ...plan.disks.map((d) => d.dir)]) {
    if (missing.includes(dir)) continue;
    let isDir = false;
    try {
      isDir = Deno.lstatSync(dir).isDirectory;
    } catch { /* checked below */ }
    if (!isDir) {
      throw new JobInputError("destDir", `${dir} is not a directory`);
    }
  }
  for (const disk of plan.disks) {
    if (missing.includes(disk.dir)) continue;
    for (const layer of disk.layers) {
      try {
        checkCopyDestination(layer.to, { reuseExternal: false, roots: options.roots });
      } catch (e) {
        asDestDir(layer.to, e);
      }
    }
  }
}

/** Checks one file right before the move creates it (its directory exists by then). */
export function checkNewFile(path: string, options: MoveDestinationOptions): void {
  try {
    checkCopyDestination(path, { reuseExternal: false, roots: options.roots });
  } catch (e) {
    asDestDir(path, e);
  }
}
