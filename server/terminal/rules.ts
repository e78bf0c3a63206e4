/**
 * Rules that depend on which options a line combines: the format rule and copy policy of
 * blockcopy, blockjob's report and control forms never mixed nor controlling an owned job,
 * disk-only snapshots.
 *
 * @module
 */
import { BLOCKJOB_CONTROL_OPTIONS } from "../virsh/display.ts";
import { COPY_FORMATS, isCopyFormat } from "../virsh/values.ts";
import { TerminalRefusal } from "./refusal.ts";

/**
 * The app's rule for a file a command would create or reuse (storage roots, no symlinks, ...).
 * Returns a refusal reason, or null to allow. Called with the format the command states.
 */
export type CopyPolicy = (
  dest: string,
  opts: { format?: string; reuseExternal: boolean },
) => string | null;

/**
 * The app's rule for a job a storage move or a live migration owns: why disk `disk` (a target or
 * a path, as typed) of `domain` (a name or UUID) may not be controlled alone, or null to allow.
 */
export type OwnedJobPolicy = (domain: string, disk: string) => string | null;

/** One option as given on the line, after positional words were mapped to their option. */
export interface GivenOption {
  /** Option name without `--`. */
  name: string;
  /** The value; undefined for a flag. */
  value?: string;
}

/** Lookup helpers over the options of one line. */
export class GivenOptions {
  constructor(readonly list: readonly GivenOption[]) {}
  /** Whether the option was given. */
  has(name: string): boolean {
    return this.list.some((o) => o.name === name);
  }
  /** The value of a single-valued option. */
  value(name: string): string | undefined {
    return this.list.find((o) => o.name === name)?.value;
  }
  /** Every value of a repeatable option, in order. */
  values(name: string): string[] {
    return this.list.filter((o) => o.name === name).map((o) => o.value ?? "");
  }
}

/** A format a terminal command states must be one blockboard writes ({@link COPY_FORMATS}). */
function checkFormat(format: string, what: string): void {
  if (!isCopyFormat(format)) {
    throw new TerminalRefusal(
      "unsupported-value",
      `${what} '${format}' is not allowed: use ${COPY_FORMATS.join(" or ")}`,
    );
  }
}

function blockcopy(opts: GivenOptions, copyPolicy?: CopyPolicy): void {
  if (opts.has("raw") && opts.has("format")) {
    throw new TerminalRefusal(
      "conflict",
      "--raw is virsh's short form of --format raw: give one of them, not both",
    );
  }
  const format = opts.value("format") ?? (opts.has("raw") ? "raw" : undefined);
  const reuseExternal = opts.has("reuse-external");
  if (format === undefined) {
    throw new TerminalRefusal(
      "format-required",
      reuseExternal
        ? "--reuse-external needs an explicit format, or libvirt would probe the existing file: add --format qcow2 or --raw"
        : "blockboard always states the format: add --format qcow2 or --raw",
    );
  }
  checkFormat(format, "format");
  const dest = opts.value("dest");
  if (dest === undefined) {
    throw new TerminalRefusal("missing-option", "blockcopy needs a destination: add --dest PATH");
  }
  const refused = copyPolicy?.(dest, { format, reuseExternal });
  if (refused) throw new TerminalRefusal("policy", `destination refused: ${refused}`);
}

/**
 * blockjob either reports (`--info`, `--raw`) or controls a job, never both at once; it never
 * controls a job a move or migration owns.
 */
function blockjob(opts: GivenOptions, ownedJob?: OwnedJobPolicy): void {
  const control = BLOCKJOB_CONTROL_OPTIONS.filter((o) => opts.has(o));
  if (control.length === 0) return;
  const domain = opts.value("domain");
  const disk = opts.value("path");
  const owned = domain !== undefined && disk !== undefined ? ownedJob?.(domain, disk) : null;
  if (owned) throw new TerminalRefusal("owned-job", owned);
  const query = ["info", "raw"].filter((o) => opts.has(o));
  if (query.length) {
    throw new TerminalRefusal(
      "conflict",
      `--${query[0]} (report) cannot be combined with --${control[0]} (control)`,
    );
  }
}

/**
 * Splits a `--diskspec` value like virsh does: fields separated by `,`, a doubled `,,` is a
 * literal comma; the first field is the disk, the others `key=value`.
 */
function parseDiskspec(spec: string): { disk: string; fields: Map<string, string> } {
  const parts: string[] = [""];
  for (let i = 0; i < spec.length; i++) {
    if (spec[i] === ",") {
      if (spec[i + 1] === ",") {
        parts[parts.length - 1] += ",";
        i++;
      } else parts.push("");
    } else parts[parts.length - 1] += spec[i];
  }
  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || fields.has(key)) {
      throw new TerminalRefusal("unsupported-value", `cannot read diskspec field '${part}'`);
    }
    fields.set(key, part.slice(eq + 1));
  }
  return { disk: parts[0], fields };
}

/** Diskspec keys and the values blockboard allows (undefined: any value, checked elsewhere). */
const DISKSPEC_VALUES: Readonly<Record<string, readonly string[] | undefined>> = {
  snapshot: ["external", "no"],
  driver: ["qcow2"],
  stype: ["file"],
  file: undefined,
};

function snapshotCreateAs(opts: GivenOptions, copyPolicy?: CopyPolicy): void {
  if (!opts.has("disk-only")) {
    throw new TerminalRefusal(
      "missing-option",
      "snapshot-create-as is only allowed for disk-only snapshots: add --disk-only",
    );
  }
  for (const spec of opts.values("diskspec")) {
    const { disk, fields } = parseDiskspec(spec);
    if (disk === "") throw new TerminalRefusal("unsupported-value", "a diskspec must name a disk");
    for (const [key, value] of fields) {
      if (!Object.hasOwn(DISKSPEC_VALUES, key)) {
        throw new TerminalRefusal("unsupported-value", `diskspec key '${key}' is not allowed`);
      }
      const allowed = DISKSPEC_VALUES[key];
      if (allowed && !allowed.includes(value)) {
        throw new TerminalRefusal(
          "unsupported-value",
          `diskspec ${key}=${value} is not allowed: use ${allowed.join(" or ")}`,
        );
      }
    }
    const file = fields.get("file");
    if (file !== undefined) {
      // The overlay is a new file the snapshot creates: the same place rules as a copy apply.
      const refused = copyPolicy?.(file, { format: "qcow2", reuseExternal: false });
      if (refused) throw new TerminalRefusal("policy", `snapshot file refused: ${refused}`);
    }
  }
}

/**
 * Applies the subcommand's combination rules; throws {@link TerminalRefusal} (400) when one
 * fails. (The role a line needs is `roleFor` in subcommands.ts.)
 */
export function applyRules(
  subcommand: string,
  opts: GivenOptions,
  copyPolicy?: CopyPolicy,
  ownedJob?: OwnedJobPolicy,
): void {
  switch (subcommand) {
    case "blockcopy":
      blockcopy(opts, copyPolicy);
      break;
    case "blockjob":
      blockjob(opts, ownedJob);
      break;
    case "snapshot-create-as":
      snapshotCreateAs(opts, copyPolicy);
      break;
  }
}
