/**
 * Folds virsh's carriage-return progress (`\rBlock Copy: [ 45 %]` on stderr, repeated, no
 * newline until the end) into display lines where each `\r` rewrites the current line.
 *
 * Semantics: `\n` ends the current line; `\r` marks the current line to be replaced by whatever
 * printable text comes next (so `\r\n`, split across chunks or not, simply ends the line, and
 * a trailing `\r` keeps the last text shown). This is "replace", not a terminal's "overwrite
 * from column 0": virsh redraws the whole line each time, and replacing never leaves stale
 * characters from a longer earlier line.
 *
 * @module
 */

/** The state of a folded stream after a chunk. */
export interface FoldedProgress {
  /** Lines finished by this chunk (each ended by `\n`), in order. */
  finished: string[];
  /** The line being drawn: what the UI shows as the one updating line ("" when none). */
  current: string;
}

/** Folds a text stream chunk by chunk (for a live pane). Chunks may split anywhere. */
export class ProgressFolder {
  #current = "";
  #replacePending = false;

  /** Adds a chunk; returns the lines it finished and the current line. */
  push(chunk: string): FoldedProgress {
    const finished: string[] = [];
    for (const ch of chunk) {
      if (ch === "\n") {
        finished.push(this.#current);
        this.#current = "";
        this.#replacePending = false;
      } else if (ch === "\r") {
        this.#replacePending = true;
      } else {
        if (this.#replacePending) {
          this.#current = "";
          this.#replacePending = false;
        }
        this.#current += ch;
      }
    }
    return { finished, current: this.#current };
  }

  /** The unfinished last line, if it has any text (call once the stream has ended). */
  end(): string[] {
    return this.#current === "" ? [] : [this.#current];
  }
}

/**
 * Folds a whole text into display lines. Pure. `"a\r\nb"` → `["a", "b"]`;
 * `"\rBlock Copy: [  0 %]\rBlock Copy: [ 45 %]"` → `["Block Copy: [ 45 %]"]`; a final `\n`
 * adds no empty line.
 */
export function foldCarriageReturns(text: string): string[] {
  const folder = new ProgressFolder();
  const { finished } = folder.push(text);
  return [...finished, ...folder.end()];
}
