/**
 * Parsers for `virsh blockjob DOM DISK --info --raw --bytes` and the human `--info` form.
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

/** A running block job as `blockjob --info --raw --bytes` reports it. */
export interface BlockJobInfo {
  /** The `type=` value verbatim (may contain spaces, may be `(null)`). */
  typeName: BlockJobTypeName;
  /** Normalised type. */
  type: "pull" | "copy" | "commit" | "active-commit" | "backup" | "unknown";
  /** Bandwidth limit in bytes/s; 0 = unlimited. */
  bandwidth: number;
  cur: number;
  end: number;
}

/** Parses `--info --raw --bytes` output; null when there is no job (a single empty line). Pure. */
export function parseBlockJobInfo(_stdout: string): BlockJobInfo | null {
  throw new Error("not implemented");
}

/**
 * Extracts the last progress percentage from the human form's stderr (`\rBlock Copy: [ 45 %]`,
 * or `[ 45.67 %]` on newer libvirt); null when none. Pure.
 */
export function parseProgressPercent(_stderr: string): number | null {
  throw new Error("not implemented");
}
