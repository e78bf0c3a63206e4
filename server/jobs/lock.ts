/**
 * One lock per (domain UUID, disk target): a second operation while one is in flight is refused
 * at once (409), never queued, so an operator never triggers an action they no longer see.
 *
 * @module
 */
import { JobConflictError } from "./errors.ts";

/** Non-waiting per-disk locks. */
export class DiskLocks {
  readonly #held = new Map<string, string>();

  /** What is in flight on the disk, or null. */
  heldBy(uuid: string, target: string): string | null {
    return this.#held.get(`${uuid}/${target}`) ?? null;
  }

  /**
   * Runs `fn` holding the disk's lock; throws {@link JobConflictError} (`busy`) when another
   * operation holds it.
   */
  async with<T>(uuid: string, target: string, what: string, fn: () => Promise<T>): Promise<T> {
    const key = `${uuid}/${target}`;
    const holder = this.#held.get(key);
    if (holder !== undefined) {
      throw new JobConflictError(
        "busy",
        `another operation (${holder}) is in flight on disk ${target}; wait for it to finish`,
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
