/**
 * The terminal's allowlist as data: which virsh subcommands may run, with which options, which
 * bare words fill which option, and the subcommands refused with a reason of their own. (Not to
 * be confused with `server/virsh/commands.ts`, the argv builders blockboard itself runs.)
 *
 * Option lists were taken from `virsh help CMD` (libvirt 9.0) and cut down to what blockboard's
 * users need; everything not listed here is refused. Which subcommands change something, and so
 * need the operator role, is not written here: it is the one rule of `server/virsh/display.ts`.
 *
 * Over 300 lines on purpose: it is one table, one entry per subcommand, read top to bottom when
 * reviewing what the terminal allows; splitting it would scatter that review.
 *
 * @module
 */
import { changesSomething } from "../virsh/display.ts";

/**
 * How an option takes its value:
 * - `flag`: no value (`--wait`); `--wait=x` is refused.
 * - `value`: exactly one value, `--dest X` or `--dest=X`; the next word is the value even when
 *   it starts with `-` (virsh's own rule).
 * - `list`: a value that may repeat (`--diskspec`, domstats' domains); bare words fill it once
 *   every other positional slot is taken.
 */
export type OptionKind = "flag" | "value" | "list";

/** The least role a command needs (admin is operator plus user management; same here). */
export type CommandRole = "viewer" | "operator";

/**
 * The least role for a subcommand given the options on the line: operator for a call that changes
 * something ({@link changesSomething}), viewer otherwise. Pure.
 */
export function roleFor(subcommand: string, options: Iterable<string> = []): CommandRole {
  return changesSomething(subcommand, options) ? "operator" : "viewer";
}

/** One allowlisted subcommand. */
export interface SubcommandSpec {
  /** The only options accepted, by name without `--`. */
  options: Readonly<Record<string, OptionKind>>;
  /**
   * Options that bare words fill, in virsh's order: a bare word goes to the first of these not
   * yet given (by name or position). Only the slots virsh documents are listed; other legacy
   * positional forms (`blockpull vm1 vda 10` for a bandwidth) are refused, not guessed.
   */
  positionals: readonly string[];
  /** Options that make virsh block until the job finishes or is ready (output then streams). */
  waitOptions?: readonly string[];
}

const DOMAIN_ONLY = { domain: "value" } as const;

const READ_ONLY: Readonly<Record<string, SubcommandSpec>> = {
  list: {
    positionals: [],
    options: Object.fromEntries(
      [
        "inactive",
        "all",
        "transient",
        "persistent",
        "with-snapshot",
        "without-snapshot",
        "with-checkpoint",
        "without-checkpoint",
        "state-running",
        "state-paused",
        "state-shutoff",
        "state-other",
        "autostart",
        "no-autostart",
        "with-managed-save",
        "without-managed-save",
        "uuid",
        "name",
        "id",
        "table",
        "managed-save",
        "title",
      ].map((o) => [o, "flag"]),
    ),
  },
  dominfo: { positionals: ["domain"], options: DOMAIN_ONLY },
  domstate: {
    positionals: ["domain"],
    options: { domain: "value", reason: "flag" },
  },
  domblklist: {
    positionals: ["domain"],
    options: { domain: "value", inactive: "flag", details: "flag" },
  },
  domblkinfo: {
    positionals: ["domain", "device"],
    options: { domain: "value", device: "value", human: "flag", all: "flag" },
  },
  domstats: {
    positionals: ["domain"],
    options: {
      domain: "list",
      ...Object.fromEntries(
        [
          "state",
          "cpu-total",
          "balloon",
          "vcpu",
          "interface",
          "block",
          "perf",
          "iothread",
          "memory",
          "dirtyrate",
          "vm",
          "list-active",
          "list-inactive",
          "list-persistent",
          "list-transient",
          "list-running",
          "list-paused",
          "list-shutoff",
          "list-other",
          "raw",
          "enforce",
          "backing",
          "nowait",
        ].map((o) => [o, "flag" as const]),
      ),
    },
  },
  // --security-info is left out on purpose: it prints secrets (VNC passwords, keys).
  dumpxml: {
    positionals: ["domain"],
    options: {
      domain: "value",
      inactive: "flag",
      "update-cpu": "flag",
      migratable: "flag",
      xpath: "value",
      wrap: "flag",
    },
  },
  "snapshot-list": {
    positionals: ["domain"],
    options: {
      domain: "value",
      from: "value",
      ...Object.fromEntries(
        [
          "parent",
          "roots",
          "leaves",
          "no-leaves",
          "metadata",
          "no-metadata",
          "inactive",
          "active",
          "disk-only",
          "internal",
          "external",
          "tree",
          "current",
          "descendants",
          "name",
          "topological",
        ].map((o) => [o, "flag" as const]),
      ),
    },
  },
  "snapshot-info": {
    positionals: ["domain", "snapshotname"],
    options: { domain: "value", snapshotname: "value", current: "flag" },
  },
  "pool-list": {
    positionals: [],
    options: {
      type: "value",
      ...Object.fromEntries(
        ["inactive", "all", "transient", "persistent", "autostart", "no-autostart", "details"]
          .concat(["uuid", "name"])
          .map((o) => [o, "flag" as const]),
      ),
    },
  },
  "vol-list": {
    positionals: ["pool"],
    options: { pool: "value", details: "flag" },
  },
  nodeinfo: { positionals: [], options: {} },
  version: { positionals: [], options: { daemon: "flag" } },
  // Any topic is fine, including refused commands: help only prints text.
  help: {
    positionals: ["command"],
    options: { command: "value" },
  },
  domuuid: { positionals: ["domain"], options: DOMAIN_ONLY },
  domname: { positionals: ["domain"], options: DOMAIN_ONLY },
  domid: { positionals: ["domain"], options: DOMAIN_ONLY },
  uri: { positionals: [], options: {} },
  hostname: { positionals: [], options: {} },
  // Read-only unless --abort/--async/--pivot/--bandwidth (BLOCKJOB_CONTROL_OPTIONS, display.ts).
  blockjob: {
    positionals: ["domain", "path"],
    options: {
      domain: "value",
      path: "value",
      abort: "flag",
      async: "flag",
      pivot: "flag",
      bandwidth: "value",
      bytes: "flag",
      info: "flag",
      raw: "flag",
    },
  },
};

const OPERATOR: Readonly<Record<string, SubcommandSpec>> = {
  // Left out: --xml (reads a host file), --blockdev, --print-xml.
  blockcopy: {
    positionals: ["domain", "path", "dest"],
    waitOptions: ["wait", "pivot", "finish", "timeout"],
    options: {
      domain: "value",
      path: "value",
      dest: "value",
      format: "value",
      raw: "flag", // virsh's alias for --format raw
      shallow: "flag",
      "reuse-external": "flag",
      wait: "flag",
      verbose: "flag",
      pivot: "flag",
      finish: "flag",
      bandwidth: "value",
      bytes: "flag",
      "transient-job": "flag",
      granularity: "value",
      "buf-size": "value",
      "synchronous-writes": "flag",
      timeout: "value",
      async: "flag",
    },
  },
  blockpull: {
    positionals: ["domain", "path"],
    waitOptions: ["wait"],
    options: {
      domain: "value",
      path: "value",
      base: "value",
      bandwidth: "value",
      bytes: "flag",
      wait: "flag",
      verbose: "flag",
      timeout: "value",
      async: "flag",
      "keep-relative": "flag",
    },
  },
  // Left out: --delete (removes image files from the host; the form and the API check first that
  // no other domain uses them, which a terminal line would skip).
  blockcommit: {
    positionals: ["domain", "path"],
    waitOptions: ["wait", "pivot", "keep-overlay", "timeout"],
    options: {
      domain: "value",
      path: "value",
      top: "value",
      base: "value",
      active: "flag",
      shallow: "flag",
      pivot: "flag",
      "keep-overlay": "flag",
      wait: "flag",
      verbose: "flag",
      bandwidth: "value",
      bytes: "flag",
      timeout: "value",
      async: "flag",
      "keep-relative": "flag",
    },
  },
  // Only disk-only snapshots (enforced in rules.ts). Left out: --reuse-external (would open an
  // existing file with a guessed format), --memspec, --halt, --live, --print-xml, --validate.
  // --quiesce is allowed: it only asks the guest agent to freeze file systems meanwhile.
  "snapshot-create-as": {
    positionals: ["domain", "name"],
    options: {
      domain: "value",
      name: "value",
      description: "value",
      "disk-only": "flag",
      "no-metadata": "flag",
      atomic: "flag",
      quiesce: "flag",
      diskspec: "list",
    },
  },
};

/** Every allowlisted subcommand, by name. */
export const SUBCOMMANDS: Readonly<Record<string, SubcommandSpec>> = { ...READ_ONLY, ...OPERATOR };

const BUILTIN = "is a built-in of interactive virsh; each terminal line runs on its own";
const QEMU_DIRECT = "talks to QEMU directly, bypassing libvirt (unrestricted access to the host)";
const DESTRUCTIVE = "is not available from the terminal (it can lose data)";

/** Subcommands refused with a reason of their own (anything else unlisted gets a generic one). */
export const REFUSED_SUBCOMMANDS: Readonly<Record<string, string>> = {
  connect: "connect would change the connection blockboard manages",
  edit: "edit opens an editor on the server; read the XML with dumpxml instead",
  console: "console is interactive: it attaches to the guest's serial console",
  "qemu-monitor-command": `qemu-monitor-command ${QEMU_DIRECT}`,
  "qemu-agent-command": `qemu-agent-command ${QEMU_DIRECT}`,
  "qemu-monitor-event": `qemu-monitor-event ${QEMU_DIRECT}`,
  "qemu-attach": `qemu-attach ${QEMU_DIRECT}`,
  cd: `cd ${BUILTIN}`,
  pwd: `pwd ${BUILTIN}`,
  echo: `echo ${BUILTIN}`,
  exit: `exit ${BUILTIN}`,
  quit: `quit ${BUILTIN}`,
  save: `save ${DESTRUCTIVE}`,
  restore: `restore ${DESTRUCTIVE}`,
  undefine: `undefine ${DESTRUCTIVE}`,
  destroy: `destroy ${DESTRUCTIVE}`,
  "snapshot-delete": `snapshot-delete ${DESTRUCTIVE}`,
  "snapshot-revert": `snapshot-revert ${DESTRUCTIVE}`,
  "vol-delete": `vol-delete ${DESTRUCTIVE}`,
  "vol-wipe": `vol-wipe ${DESTRUCTIVE}`,
};

/**
 * virsh's global options (short and long spellings). They are only meaningful before the
 * subcommand, where blockboard puts its own `-c URI`; user input may never supply them.
 */
export const GLOBAL_OPTIONS: ReadonlySet<string> = new Set([
  "-c",
  "--connect",
  "-d",
  "--debug",
  "-e",
  "--escape",
  "-h",
  "--help",
  "-k",
  "--keepalive-interval",
  "-K",
  "--keepalive-count",
  "-l",
  "--log",
  "-q",
  "--quiet",
  "-r",
  "--readonly",
  "-t",
  "--timing",
  "-v",
  "-V",
  "--version",
]);
