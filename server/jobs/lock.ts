/**
 * One lock per (domain UUID, disk target): a second operation while one is in flight is refused
 * at once (409), never queued, so an operator never triggers an action they no longer see.
 *
 * @module
 */
import type { DiskRef } from "./book.ts";
import { JobConflictError } from "./errors.ts";

/** Non-waiting per-disk locks. */
export class DiskLocks {
  readonly #held = new Map<string, string>();

  /**
   * Runs `fn` holding the disk's lock; throws {@link JobConflictError} (`busy`) when another
   * operation (named by its `what`) holds it.
   */
  async with<T>(ref: DiskRef, what: string, fn: () => Promise<T>): Promise<T> {
    const key = `${ref.uuid}/${ref.target}`;
    const holder = this.#held.get(key);
    if (holder !== undefined) {
      throw new JobConflictError(
        "busy",
        `another operation (${holder}) is in flight on disk ${ref.target}; wait for it to finish`,
      );
    }
    this.#held.set(key, what);
    try {
      return await fn();
    } finally {
      this.#held.delete(key);
    }
  }
}
