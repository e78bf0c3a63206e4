/**
 * Parser for `virsh blockjob DOM DISK --info --raw --bytes` (the stable form: bytes, no percent).
 *
 * @module
 */

/** libvirt's job type names as printed by `--raw`. */
export type BlockJobTypeName =
  | "Block Pull"
  | "Block Copy"
  | "Block Commit"
  | "Active Block Commit"
  | "Backup"
  | "Unknown job"
  | string;

/** Normalised block job type. */
export type BlockJobType = "pull" | "copy" | "commit" | "active-commit" | "backup" | "unknown";

/** A running block job as `blockjob --info --raw --bytes` reports it. */
export interface BlockJobInfo {
  /** The `type=` value verbatim (may contain spaces, may be `(null)`). */
  typeName: BlockJobTypeName;
  /** Normalised type. */
  type: BlockJobType;
  /**
   * Bandwidth limit in bytes/s; 0 = unlimited. Only bytes when virsh was given `--bytes`:
   * without it virsh prints MiB/s rounded *up* (100 KiB/s reads `1`).
   */
  bandwidth: number;
  /** Progress counter; bytes for pull/copy/commit, an abstract counter for an idle active commit. */
  cur: number;
  /** Progress end; `cur == end` (including `0 == 0` at the start) is not "ready". */
  end: number;
}

const TYPE_BY_NAME: Record<string, BlockJobType> = {
  "Block Pull": "pull",
  "Block Copy": "copy",
  "Block Commit": "commit",
  "Active Block Commit": "active-commit",
  "Backup": "backup",
};

/**
 * Maps libvirt's printed job type name (`Block Copy`, also used in events) to a normalised type;
 * anything else (`Unknown job`, `(null)` from an old virsh against a newer daemon) is `unknown`. Pure.
 */
export function blockJobTypeFromName(typeName: string): BlockJobType {
  return Object.hasOwn(TYPE_BY_NAME, typeName) ? TYPE_BY_NAME[typeName] : "unknown";
}

function parseCounter(key: string, value: string | undefined): number {
  if (value === undefined) throw new Error(`blockjob --raw output lacks ${key}=`);
  if (!/^\d+$/.test(value)) throw new Error(`blockjob --raw ${key}= is not a number: ${value}`);
  return Number(value);
}

/**
 * Parses `--info --raw --bytes` output; null when there is no job (a single empty line). Pure.
 *
 * Each line is ` key=value` (leading space); the split is at the first `=` because type names
 * contain spaces. Throws when a job is printed but `type`, `cur` or `end` is missing or not a
 * number. A missing `bandwidth` reads as 0.
 */
export function parseBlockJobInfo(stdout: string): BlockJobInfo | null {
  if (stdout.trim() === "") return null;
  const fields = new Map<string, string>();
  for (const raw of stdout.split("\n")) {
    const line = raw.replace(/^\s+/, "").replace(/\r$/, "");
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      throw new Error(`unexpected line in blockjob --raw output: ${JSON.stringify(raw)}`);
    }
    fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const typeName = fields.get("type");
  if (typeName === undefined) throw new Error("blockjob --raw output lacks type=");
  return {
    typeName,
    type: blockJobTypeFromName(typeName),
    bandwidth: fields.has("bandwidth") ? parseCounter("bandwidth", fields.get("bandwidth")) : 0,
    cur: parseCounter("cur", fields.get("cur")),
    end: parseCounter("end", fields.get("end")),
  };
}
