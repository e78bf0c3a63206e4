/**
 * Display form of a virsh call: `virsh -c URI argv...`, POSIX-shell quoted so an operator can
 * copy it into a shell. Display only: blockboard never runs a shell.
 *
 * @module
 */

/** Quotes one word when it holds anything but plainly safe characters. Pure. */
export function quoteWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line for `args` (after the binary). `args` may already start with `-c URI` (as a
 * runner record's argv does); otherwise `-c uri` is added. Pure.
 */
export function displayCommandLine(uri: string, args: readonly string[]): string {
  const full = args[0] === "-c" ? args : ["-c", uri, ...args];
  return ["virsh", ...full].map(quoteWord).join(" ");
}

/** Subcommands that change a disk or its chain whatever their options. */
const MUTATING_SUBCOMMANDS = new Set([
  "blockcopy",
  "blockpull",
  "blockcommit",
  "snapshot-create-as",
]);

/** `blockjob` options that change a job (without them it only reads `--info`). */
const MUTATING_BLOCKJOB_OPTIONS = ["--abort", "--pivot", "--bandwidth"];

/**
 * The subcommand of a call that changes something on the host (`blockjob --pivot` →
 * `blockjob`), or null for a read. `args` may start with `-c URI` (a runner record's argv). The
 * audit log records these calls and the terminal echoes them. Pure.
 */
export function mutatingSubcommand(args: readonly string[]): string | null {
  const rest = args[0] === "-c" ? args.slice(2) : args;
  const sub = rest[0];
  if (sub === undefined) return null;
  if (MUTATING_SUBCOMMANDS.has(sub)) return sub;
  const changesJob = rest.some((a) =>
    MUTATING_BLOCKJOB_OPTIONS.some((o) => a === o || a.startsWith(`${o}=`))
  );
  return sub === "blockjob" && changesJob ? sub : null;
}
