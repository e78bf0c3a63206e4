/**
 * Clean up after a storage move: the old chain's files stay untouched by the move itself; once
 * the move is `done`, an operator may delete them after a confirmation that lists them. Every
 * file goes through the job clean-up's checks (`jobs/cleanup.ts`: storage roots, regular file,
 * not used by any domain's live or persistent definition, backing chains included), so a base
 * another domain still builds on is never deleted. A refused file refuses the whole request
 * (409, the sentence names the file and the domain) and nothing is deleted: the operator leaves
 * it out and asks again.
 *
 * @module
 */
import { checkCleanup, type CleanupCheckOptions, deleteFiles } from "../jobs/cleanup.ts";
import type { DeletionResult } from "../jobs/cleanup.ts";
import { JobInputError } from "../jobs/errors.ts";
import type { Move } from "./model.ts";

/** The reason of a result whose file was no longer on disk (nothing to do). */
export const ALREADY_GONE = "it was already gone";

/** What a clean-up would do with one old file. */
export interface MoveCleanupItem {
  path: string;
  /** `delete`: may go; `kept`: refused (see `reason`); `gone`: no longer on disk. */
  verdict: "delete" | "kept" | "gone";
  /** Why it is kept, as the end of a sentence ("it is still used by domain x, disk vda"). */
  reason: string | null;
}

/** A clean-up that must not run: the move is not done, or a file is still used (HTTP 409). */
export class MoveCleanupConflictError extends Error {
  /** HTTP status for the routes. */
  readonly status = 409;
  /** Stable error code. */
  readonly code = "conflict";
  constructor(message: string) {
    super(message);
    this.name = "MoveCleanupConflictError";
  }
}

/** The old chain's files of a move, each once, disk by disk, top first. Pure. */
export function oldFilesOf(move: Move): string[] {
  return [...new Set(move.disks.flatMap((d) => d.layers.map((l) => l.from)))];
}

/** Throws unless the move is `done`: only a finished, verified move leaves old files behind. */
export function requireDoneMove(move: Move): void {
  if (move.state === "done") return;
  throw new MoveCleanupConflictError(
    `Move ${move.id} of domain ${move.domain} is ${move.state}: its old files can be cleaned up ` +
      "only after it is done (the domain may still use them).",
  );
}

/**
 * Judges every old file of a done move: deletable, kept (with the reason) or already gone.
 * Reads every domain's live and persistent XML once.
 */
export async function reviewMoveCleanup(
  move: Move,
  options: CleanupCheckOptions,
): Promise<MoveCleanupItem[]> {
  requireDoneMove(move);
  return await judge(move, oldFilesOf(move), options);
}

/** What {@link cleanUpMove} did. */
export interface MoveCleanupOutcome {
  /** One per file asked for, in order (a file already gone: not deleted, and says so). */
  results: DeletionResult[];
}

/**
 * Deletes the old files of a done move: `files` (the ones the operator confirmed), or every
 * old file still on disk when absent. Every file is checked again first; if any of them may not
 * be deleted, nothing is and {@link MoveCleanupConflictError} names the file and its user.
 * Files that are not old files of this move are refused with {@link JobInputError}.
 */
export async function cleanUpMove(
  move: Move,
  files: readonly string[] | undefined,
  options: CleanupCheckOptions,
): Promise<MoveCleanupOutcome> {
  requireDoneMove(move);
  const old = oldFilesOf(move);
  const stranger = files?.find((f) => !old.includes(f));
  if (stranger !== undefined) {
    throw new JobInputError(
      "files",
      `${JSON.stringify(stranger)} is not one of the old files of move ${move.id}`,
    );
  }
  const items = await judge(move, files ? [...new Set(files)] : old, options);
  const refused = items.find((i) => i.verdict === "kept");
  if (refused) {
    throw new MoveCleanupConflictError(
      `${refused.path} cannot be deleted: ${refused.reason}. Nothing was deleted; ` +
        "clean up without it to delete the other files.",
    );
  }
  const deleted = await deleteFiles(
    items.filter((i) => i.verdict === "delete")
      .map((i) => ({ path: i.path, deletable: true, reason: null })),
  );
  const results = items.map((i) =>
    deleted.find((d) => d.path === i.path) ??
      { path: i.path, deleted: false, reason: ALREADY_GONE }
  );
  return { results };
}

async function judge(
  move: Move,
  files: readonly string[],
  options: CleanupCheckOptions,
): Promise<MoveCleanupItem[]> {
  const present: string[] = [];
  const gone = new Set<string>();
  for (const path of files) {
    try {
      await Deno.lstat(path);
      present.push(path);
    } catch {
      gone.add(path);
    }
  }
  const verdicts = new Map(
    (await checkCleanup(present, options)).map((v) => [v.path, v]),
  );
  // A file the move wrote must never be taken for an old one (same path in and out).
  const created = new Set(move.disks.flatMap((d) => d.layers.map((l) => l.to)));
  return files.map((path): MoveCleanupItem => {
    if (gone.has(path)) return { path, verdict: "gone", reason: null };
    if (created.has(path)) {
      return { path, verdict: "kept", reason: "it is part of the new chain of this move" };
    }
    const v = verdicts.get(path)!;
    return v.deletable
      ? { path, verdict: "delete", reason: null }
      : { path, verdict: "kept", reason: v.reason };
  });
}
