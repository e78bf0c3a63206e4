/**
 * Display form of a virsh call: `virsh -c URI argv...`, POSIX-shell quoted so an operator can
 * copy it into a shell. Display only: blockboard never runs a shell.
 *
 * @module
 */
import { singleQuoted } from "./quote.ts";

/** Quotes one word when it holds anything but plainly safe characters. Pure. */
export function quoteWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : singleQuoted(word);
}

/** `args` without a leading `-c URI` (a runner record's argv starts with it). Pure. */
function withoutConnection(args: readonly string[]): readonly string[] {
  return args[0] === "-c" ? args.slice(2) : args;
}

/**
 * The command line for `args` (after the binary). `args` may already start with `-c URI` (as a
 * runner record's argv does); otherwise `-c uri` is added. Pure.
 */
export function displayCommandLine(uri: string, args: readonly string[]): string {
  const full = args[0] === "-c" ? args : ["-c", uri, ...args];
  return ["virsh", ...full].map(quoteWord).join(" ");
}

/**
 * Subcommands that change a disk or its chain whatever their options. The one list: the audit
 * hook, the action echo, the session's retry and the terminal's allowlist all read it.
 */
const MUTATING_SUBCOMMANDS: ReadonlySet<string> = new Set([
  "blockcopy",
  "blockpull",
  "blockcommit",
  "snapshot-create-as",
  // A live migration moves the domain and its disks; the storage calls create or delete files.
  "migrate",
  "domjobabort",
  "vol-create-as",
  "vol-delete",
]);

/**
 * `blockjob` options (names without `--`) that control a job; without any of them blockjob only
 * reports (`--info`). `--async` alone aborts the job (virsh: "implies --abort").
 */
export const BLOCKJOB_CONTROL_OPTIONS: readonly string[] = ["abort", "async", "pivot", "bandwidth"];

/**
 * The one rule for "does this call change something": a {@link MUTATING_SUBCOMMANDS} entry, or
 * `blockjob` with a {@link BLOCKJOB_CONTROL_OPTIONS} option. `options` are option names without
 * `--`. Pure.
 */
export function changesSomething(subcommand: string, options: Iterable<string>): boolean {
  if (MUTATING_SUBCOMMANDS.has(subcommand)) return true;
  if (subcommand !== "blockjob") return false;
  for (const name of options) if (BLOCKJOB_CONTROL_OPTIONS.includes(name)) return true;
  return false;
}

/**
 * The subcommand of a call that changes something on the host (`blockjob --pivot` →
 * `blockjob`), or null for a read ({@link changesSomething}). `args` may start with `-c URI` (a
 * runner record's argv). Every `--word` counts as an option, values too, so a value that looks
 * like a control option errs on the side of "changes" (audited, never retried). The audit log
 * records these calls and the terminal echoes them. Pure.
 */
export function mutatingSubcommand(args: readonly string[]): string | null {
  const rest = withoutConnection(args);
  const sub = rest[0];
  if (sub === undefined) return null;
  const options = rest.slice(1).filter((a) => a.startsWith("--")).map((a) =>
    a.slice(2).split("=")[0]
  );
  return changesSomething(sub, options) ? sub : null;
}
