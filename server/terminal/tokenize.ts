/**
 * Splits a terminal line into words like a POSIX shell would split it, with none of a shell's
 * power: no expansion of any kind and no operators.
 *
 * Rules (pinned by tests/terminal/tokenize_test.ts):
 * - Words are separated by spaces and tabs.
 * - `'...'` is literal up to the next `'`.
 * - `"..."` is literal except `\"` → `"` and `\\` → `\`; any other backslash stays as typed
 *   (`"\$x"` is the two characters `\$x`: there is no expansion to escape from).
 * - Outside quotes, `\x` is `x` for any character `x` (`\;` is a literal `;`, then refused below).
 * - Quoted and unquoted parts join into one word (`a"b c"d` → `ab cd`); `''` is an empty word.
 * - `$`, `` ` ``, `~`, `*`, `?`, `[`, `#` are never expanded; inside quotes they are plain text.
 *
 * Refused, with a {@link TerminalRefusal} (always status 400):
 * - an empty or blank line; a line longer than {@link MAX_LINE_LENGTH} UTF-16 units;
 * - `\n` or `\r` anywhere, quoted or not; NUL and every other C0/C1 control character and DEL
 *   (tab is the only control character allowed, as a separator); U+2028/U+2029 and the bidi
 *   marks, embeddings, overrides and isolates (they would make the echoed line lie): the one
 *   rule of `isRefusedCharacter` in server/virsh/values.ts, which API paths obey too;
 * - `;` anywhere, **even quoted or escaped**: virsh parses a lone argument (and every line of an
 *   interactive session, which a persistent runner may feed later) as a command string in which
 *   `;` and newlines start another command. Refusing them everywhere keeps that door shut
 *   whatever the runner does with the words.
 * - unquoted `|`, `&`, `>`, `<`, `` ` `` and `$(`: a user who types them expects a shell; there
 *   is none. Quoted (or backslash-escaped) they are ordinary characters: virsh never interprets
 *   them, and XPath expressions (`dumpxml --xpath`) need `<`, `>`, `|`.
 * - an unterminated quote, or a backslash at the very end of the line.
 *
 * @module
 */
import { TerminalRefusal } from "./refusal.ts";
import { codePointName, isRefusedCharacter } from "../virsh/values.ts";

/** The longest line accepted, in UTF-16 code units. */
export const MAX_LINE_LENGTH = 4096;

/** Characters refused when they appear unquoted. */
const UNQUOTED_OPERATORS = new Set(["|", "&", ">", "<", "`"]);

/** Refuses lines that are empty, too long, or contain line breaks, controls or `;`. */
function checkWholeLine(line: string): void {
  if (line.length > MAX_LINE_LENGTH) {
    throw new TerminalRefusal(
      "too-long",
      `the line is ${line.length} characters long; the limit is ${MAX_LINE_LENGTH}`,
    );
  }
  for (const ch of line) {
    const c = ch.codePointAt(0)!;
    if (ch === "\n" || ch === "\r") {
      throw new TerminalRefusal(
        "newline",
        "line breaks are not allowed: one command per line, nothing can be chained",
      );
    }
    // The same rule as every path the API takes (values.ts); tab is a separator here.
    if (ch !== "\t" && isRefusedCharacter(c)) {
      throw new TerminalRefusal(
        "control-char",
        `control character ${codePointName(c)} is not allowed`,
      );
    }
    if (ch === ";") {
      throw new TerminalRefusal(
        "shell-operator",
        "';' is not allowed anywhere (not even quoted): commands cannot be chained",
      );
    }
  }
  if (line.trim() === "") throw new TerminalRefusal("empty", "the line is empty");
}

function refuseOperator(op: string): never {
  throw new TerminalRefusal(
    "shell-operator",
    `'${op}' is not allowed: there is no shell here (quote it if you mean the character)`,
  );
}

/**
 * Splits `line` into words (see the module documentation for the exact rules). Pure.
 *
 * @throws {TerminalRefusal} status 400 for every refused form.
 */
export function tokenizeCommandLine(line: string): string[] {
  checkWholeLine(line);
  const words: string[] = [];
  let word = "";
  /** True once the current word has started (so that `''` yields an empty word). */
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === " " || ch === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) {
        throw new TerminalRefusal("unterminated-quote", "a single quote (') is never closed");
      }
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const c = line[i];
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
          word += line[i + 1];
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      if (!closed) {
        throw new TerminalRefusal("unterminated-quote", 'a double quote (") is never closed');
      }
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 >= line.length) {
        throw new TerminalRefusal(
          "unterminated-escape",
          "the line ends with a backslash: there is no line continuation",
        );
      }
      // Take a whole code point so that an escaped astral character stays intact.
      const next = String.fromCodePoint(line.codePointAt(i + 1)!);
      word += next;
      inWord = true;
      i += 1 + next.length;
    } else if (UNQUOTED_OPERATORS.has(ch)) {
      refuseOperator(ch);
    } else if (ch === "$" && line[i + 1] === "(") {
      refuseOperator("$(");
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
