/**
 * The one error type the terminal's parser and allowlist throw: a refused line, with a code the
 * audit log can group by, a sentence for the operator, and the HTTP status the route answers with.
 *
 * @module
 */

/** Why a terminal line was refused. Stable strings: the audit log and tests key on them. */
export type TerminalRefusalCode =
  | "empty" // nothing to run
  | "too-long" // over MAX_LINE_LENGTH characters
  | "newline" // \n or \r anywhere
  | "control-char" // NUL, other C0/C1 controls, DEL
  | "unterminated-quote" // a ' or " never closed
  | "unterminated-escape" // a trailing backslash
  | "shell-operator" // ; | & > < ` $( — there is no shell here
  | "global-option" // -c, --connect, -l, ... (virsh options before the subcommand)
  | "no-subcommand" // only the word virsh
  | "shell-escape" // !cmd
  | "refused-subcommand" // connect, edit, console, qemu-*-command, destroy, ... (named reason)
  | "unknown-subcommand" // anything else not on the allowlist
  | "unknown-option" // an option not on the subcommand's list
  | "missing-value" // --dest with nothing after it
  | "empty-value" // --dest '' (virsh refuses empty values too)
  | "flag-value" // --wait=yes on an option that takes no value
  | "duplicate-option" // the same option twice
  | "unexpected-argument" // a bare word with no positional slot left
  | "dash-argument" // a bare word starting with '-' (ambiguous with options)
  | "conflict" // options that cannot be combined (--raw with --format, --info with --abort)
  | "missing-option" // a required option is absent (snapshot-create-as --disk-only)
  | "format-required" // blockcopy without --format/--raw, reuse-external without format
  | "unsupported-value" // a format blockboard does not allow (auto probes), a diskspec key
  | "policy" // the app's copy policy (storage roots) refused the destination
  | "owned-job" // blockjob control of a job a storage move or live migration owns
  | "role"; // the subcommand/options need a higher role (403)

/** A refused terminal line. Nothing was run. */
export class TerminalRefusal extends Error {
  /** Machine-readable reason. */
  readonly code: TerminalRefusalCode;
  /** A sentence naming what was refused and why (also the `message`). */
  readonly reason: string;
  /** 403 for a role refusal, 400 for everything else. */
  readonly status: 400 | 403;

  constructor(code: TerminalRefusalCode, reason: string, status: 400 | 403 = 400) {
    super(reason);
    this.name = "TerminalRefusal";
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}
