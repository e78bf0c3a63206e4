/**
 * Each user's recent terminal lines (for ↑/↓), kept in memory: lost on restart, which is fine
 * for a convenience; the audit log is the record. Bounded in lines and bytes per user and in
 * users, so a viewer cannot pin memory with it.
 *
 * @module
 */
import { MAX_LINE_LENGTH } from "../../terminal/tokenize.ts";

/** Lines kept per user. */
export const HISTORY_SIZE = 100;
/** UTF-16 units of history kept per user (oldest lines go first). */
export const HISTORY_CHARS_PER_USER = 64 * 1024;
/** Users whose history is kept (the least recently active one is forgotten first). */
export const HISTORY_USERS = 256;

/** Per-user line history, newest last, without immediate repeats. */
export class LineHistory {
  #byUser = new Map<string, string[]>();

  /**
   * Adds a typed line. Blank lines and lines over the tokenizer's limit are not kept (the length
   * is checked before anything is stored).
   */
  add(user: string, line: string): void {
    if (line.length > MAX_LINE_LENGTH || line.trim() === "") return;
    const list = this.#byUser.get(user) ?? [];
    // Re-inserting moves the user to the end: the map's order is least recently active first.
    this.#byUser.delete(user);
    if (list.at(-1) !== line) list.push(line);
    if (list.length > HISTORY_SIZE) list.splice(0, list.length - HISTORY_SIZE);
    let chars = list.reduce((n, l) => n + l.length, 0);
    while (chars > HISTORY_CHARS_PER_USER && list.length > 1) chars -= list.shift()!.length;
    this.#byUser.set(user, list);
    while (this.#byUser.size > HISTORY_USERS) {
      this.#byUser.delete(this.#byUser.keys().next().value!);
    }
  }

  /** The user's lines, oldest first. */
  of(user: string): string[] {
    return [...(this.#byUser.get(user) ?? [])];
  }

  /** How many users have a history (tests). */
  get users(): number {
    return this.#byUser.size;
  }
}
