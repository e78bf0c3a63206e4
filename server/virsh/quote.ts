/**
 * virsh's own command-string quoting, for feeding validated argv to a long-lived interactive virsh.
 *
 * virsh splits a command line itself (tools/vsh.c, `vshCommandStringGetArg`): blanks, `;` and
 * newlines end a word, `#` at the start of a word starts a comment, `\` escapes outside single
 * quotes, and single quotes keep everything literal up to the next single quote. Quote removal
 * happens before option parsing, so `'--pivot'` is still read as an option: quoting keeps words
 * whole, it does not make an option a positional. The argv builders keep values out of option
 * positions (UUIDs, `--domain`, `--path`) exactly as for a spawned virsh.
 *
 * @module
 */

/** A value that cannot cross a line-based protocol: the line would end inside it. */
export class UnquotableArgumentError extends Error {
  constructor(readonly argument: string) {
    super("a virsh argument may not contain a line break or a NUL character");
    this.name = "UnquotableArgumentError";
  }
}

const LINE_BREAKING = /[\n\r\0]/;

/**
 * Quotes one argument so that virsh reads it back as exactly one word with the same bytes:
 * single quotes around it, each `'` written as `'\''` (close, escaped quote, reopen).
 *
 * @throws {UnquotableArgumentError} when the value holds a line break or NUL: interactive virsh
 * reads one line per command, so such a value could start another command.
 */
export function quoteVirshArg(argument: string): string {
  if (LINE_BREAKING.test(argument)) throw new UnquotableArgumentError(argument);
  return singleQuoted(argument);
}

/**
 * `'text'` with each `'` written as `'\''`: read back as the same one word by virsh's command
 * parser and by a POSIX shell alike (the display form uses it too). Pure.
 */
export function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** One command line for interactive virsh: every argument quoted, joined by spaces. */
export function virshCommandLine(args: readonly string[]): string {
  return args.map(quoteVirshArg).join(" ");
}
