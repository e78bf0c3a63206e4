/**
 * Checks a tokenized terminal line against the per-role allowlist and rewrites it into the argv
 * blockboard passes to virsh (after its own `-c URI`).
 *
 * The rewrite: every value travels as a named option, so no user value ever lands where virsh
 * reads options.
 * - The leading word `virsh` is dropped.
 * - Bare words fill the subcommand's documented positional slots in virsh's order (the first slot
 *   not yet given), and are emitted as `--slot`, `value`: `blockcopy vm1 vda /d --format qcow2`
 *   → `["blockcopy", "--domain", "vm1", "--path", "vda", "--dest", "/d", "--format", "qcow2"]`.
 * - `--opt=value` is emitted as two words `--opt`, `value` (virsh takes the word after a
 *   valued option as its value whatever it looks like, so `--domain`, `--pivot` names a domain
 *   called `--pivot`; checked against virsh 9.0).
 * - `--` ends option parsing (as in virsh): every later word is a bare word, even `--pivot`. It
 *   is not emitted: the rewritten argv needs no `--`.
 * - Options keep the order they were typed in; repeatable options (`--diskspec`, domstats'
 *   domains) are emitted once per value.
 * - A bare word starting with `-` (before `--`) is refused: virsh would read `-c` after the
 *   subcommand as a domain name, but a user typing it meant an option. `--domain=-c` or
 *   `-- -c` say what is meant.
 *
 * @module
 */
import { changesSomething } from "../virsh/display.ts";
import {
  GLOBAL_OPTIONS,
  REFUSED_SUBCOMMANDS,
  roleFor,
  SUBCOMMANDS,
  type SubcommandSpec,
} from "./subcommands.ts";
import { TerminalRefusal } from "./refusal.ts";
import {
  applyRules,
  type CopyPolicy,
  type GivenOption,
  GivenOptions,
  type OwnedJobPolicy,
} from "./rules.ts";

export type { CopyPolicy, OwnedJobPolicy } from "./rules.ts";

/** The roles the terminal knows; admin may run what operator may. */
export type TerminalRole = "viewer" | "operator" | "admin";

/** Options for {@link checkCommand}. */
export interface CheckOptions {
  /** The app's destination rule for `blockcopy --dest` and `snapshot-create-as --diskspec file=`. */
  copyPolicy?: CopyPolicy;
  /** The app's rule for `blockjob` control of a job a move or migration owns. */
  ownedJob?: OwnedJobPolicy;
}

/** An allowed line, rewritten for the runner. */
export interface CheckedCommand {
  /** The virsh subcommand (`blockcopy`). */
  subcommand: string;
  /** `[subcommand, ...rewritten options]`: what to pass to the runner (which prepends `-c URI`). */
  argv: string[];
  /** Whether the command changes anything (starts, steers or ends a job, creates a snapshot). */
  mutating: boolean;
  /** Whether virsh will wait for the job (`--wait`, or an option implying it): stream output. */
  streaming: boolean;
  /** The least role the line needed. */
  requiredRole: "viewer" | "operator";
  /** The `--domain` value, when the command names exactly one domain (for locks and audit). */
  domain?: string;
  /** The `--path` value (disk target or source path), when given (for locks and audit). */
  disk?: string;
}

/** Shortens a hostile or long word for a refusal sentence (the app HTML-escapes it). */
function shown(word: string): string {
  return word.length > 60 ? `${word.slice(0, 57)}...` : word;
}

function globalOptionRefusal(word: string): TerminalRefusal {
  return new TerminalRefusal(
    "global-option",
    `virsh global option ${
      shown(word)
    } is not allowed: blockboard sets the connection, logging and timeouts itself`,
  );
}

function findSpec(word: string): SubcommandSpec {
  if (word.startsWith("-")) {
    const name = word.split("=")[0];
    if (GLOBAL_OPTIONS.has(name)) throw globalOptionRefusal(name);
    throw new TerminalRefusal(
      "global-option",
      `'${
        shown(word)
      }' before the subcommand: virsh options are not allowed, start with the subcommand`,
    );
  }
  if (word.startsWith("!")) {
    throw new TerminalRefusal("shell-escape", `shell escapes (${shown(word)}) are not allowed`);
  }
  if (Object.hasOwn(REFUSED_SUBCOMMANDS, word)) {
    throw new TerminalRefusal("refused-subcommand", REFUSED_SUBCOMMANDS[word]);
  }
  if (!Object.hasOwn(SUBCOMMANDS, word)) {
    throw new TerminalRefusal(
      "unknown-subcommand",
      `subcommand '${shown(word)}' is not on the terminal's allowlist (try: help)`,
    );
  }
  return SUBCOMMANDS[word];
}

/** Maps the words after the subcommand to options, refusing anything not on the spec. */
function parseOptions(subcommand: string, spec: SubcommandSpec, words: string[]): GivenOption[] {
  const given: GivenOption[] = [];
  const seen = new Set<string>();
  let dataOnly = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!dataOnly && word === "--") {
      dataOnly = true;
      continue;
    }
    // virsh's own test for an option: `--` followed by a letter or digit.
    if (!dataOnly && /^--[A-Za-z0-9]/.test(word)) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      if (!Object.hasOwn(spec.options, name)) {
        if (GLOBAL_OPTIONS.has(`--${name}`)) throw globalOptionRefusal(`--${name}`);
        throw new TerminalRefusal(
          "unknown-option",
          `option --${shown(name)} is not allowed for ${subcommand}`,
        );
      }
      const kind = spec.options[name];
      if (kind !== "list" && seen.has(name)) {
        throw new TerminalRefusal("duplicate-option", `option --${name} is given twice`);
      }
      seen.add(name);
      if (kind === "flag") {
        if (eq >= 0) {
          throw new TerminalRefusal("flag-value", `option --${name} takes no value`);
        }
        given.push({ name });
        continue;
      }
      const value = eq >= 0 ? word.slice(eq + 1) : words[++i];
      if (value === undefined) {
        throw new TerminalRefusal("missing-value", `option --${name} needs a value`);
      }
      if (value === "") {
        throw new TerminalRefusal("empty-value", `option --${name} has an empty value`);
      }
      given.push({ name, value });
      continue;
    }
    if (!dataOnly && word.startsWith("-")) {
      const name = word.split("=")[0];
      if (GLOBAL_OPTIONS.has(name)) throw globalOptionRefusal(name);
      throw new TerminalRefusal(
        "dash-argument",
        `argument '${shown(word)}' starts with '-': name its option (--domain=${
          shown(word)
        }) or put it after --`,
      );
    }
    if (word === "") {
      throw new TerminalRefusal("empty-value", "an empty argument ('') is not allowed");
    }
    const slot = spec.positionals.find((p) => spec.options[p] === "list" || !seen.has(p));
    if (slot === undefined) {
      throw new TerminalRefusal(
        "unexpected-argument",
        spec.positionals.length === 0
          ? `${subcommand} takes no arguments, got '${shown(word)}'`
          : `unexpected argument '${shown(word)}' for ${subcommand}: give it with its --option`,
      );
    }
    seen.add(slot);
    given.push({ name: slot, value: word });
  }
  return given;
}

/**
 * Checks a tokenized line (from `tokenizeCommandLine`) for `role` and returns the argv to run.
 * Pure: it never runs anything; `copyPolicy` is called for destinations.
 *
 * @throws {TerminalRefusal} 400 when the line is not allowed for anyone, 403 when it needs the
 *   operator role and `role` is viewer. The reason names what was refused.
 */
export function checkCommand(
  tokens: readonly string[],
  role: TerminalRole,
  options: CheckOptions = {},
): CheckedCommand {
  const words = tokens[0] === "virsh" ? tokens.slice(1) : [...tokens];
  if (tokens.length === 0) throw new TerminalRefusal("empty", "the line is empty");
  if (words.length === 0) {
    throw new TerminalRefusal("no-subcommand", "no subcommand after virsh (try: virsh help)");
  }
  const subcommand = words[0];
  const spec = findSpec(subcommand);
  const isOperator = role === "operator" || role === "admin";
  if (roleFor(subcommand) === "operator" && !isOperator) {
    throw new TerminalRefusal("role", `${subcommand} requires the operator role`, 403);
  }
  const given = parseOptions(subcommand, spec, words.slice(1));
  const opts = new GivenOptions(given);
  applyRules(subcommand, opts, options.copyPolicy, options.ownedJob);
  const names = given.map((o) => o.name);
  const requiredRole = roleFor(subcommand, names);
  if (requiredRole === "operator" && !isOperator) {
    const controls = given.filter((o) => o.name !== "domain" && o.name !== "path")
      .map((o) => `--${o.name}`);
    throw new TerminalRefusal(
      "role",
      `${subcommand} ${controls.join(" ")} requires the operator role`,
      403,
    );
  }
  const args = given.flatMap((o) =>
    o.value === undefined ? [`--${o.name}`] : [`--${o.name}`, o.value]
  );
  const checked: CheckedCommand = {
    subcommand,
    argv: [subcommand, ...args],
    mutating: changesSomething(subcommand, names),
    streaming: (spec.waitOptions ?? []).some((o) => opts.has(o)),
    requiredRole,
  };
  if (spec.options.domain === "value" && opts.has("domain")) checked.domain = opts.value("domain");
  if (opts.has("path")) checked.disk = opts.value("path");
  return checked;
}
