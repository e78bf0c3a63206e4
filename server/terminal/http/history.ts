/**
 * Each user's recent terminal lines (for ↑/↓), kept in memory: lost on restart, which is fine
 * for a convenience; the audit log is the record.
 *
 * @module
 */

/** Lines kept per user. */
export const HISTORY_SIZE = 100;

/** Per-user line history, newest last, without immediate repeats. */
export class LineHistory {
  #byUser = new Map<string, string[]>();

  /** Adds a typed line (blank lines are not kept). */
  add(user: string, line: string): void {
    if (line.trim() === "") return;
    const list = this.#byUser.get(user) ?? [];
    if (list.at(-1) !== line) list.push(line);
    if (list.length > HISTORY_SIZE) list.splice(0, list.length - HISTORY_SIZE);
    this.#byUser.set(user, list);
  }

  /** The user's lines, oldest first. */
  of(user: string): string[] {
    return [...(this.#byUser.get(user) ?? [])];
  }
}
