/**
 * Parsers for `virsh list`.
 *
 * @module
 */

/** A row of `virsh list --all --uuid --name`: `UUID NAME` (names may contain spaces). */
export interface ListedDomain {
  uuid: string;
  name: string;
}

/** Parses `virsh list --all --uuid --name` output. Pure. */
export function parseListUuidName(_stdout: string): ListedDomain[] {
  throw new Error("not implemented");
}

/** Parses `virsh list --all --uuid [--persistent]` output (one UUID per line). Pure. */
export function parseUuidList(_stdout: string): string[] {
  throw new Error("not implemented");
}
