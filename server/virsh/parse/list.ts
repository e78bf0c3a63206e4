/**
 * Parsers for `virsh list`.
 *
 * @module
 */
import { isUuid } from "../values.ts";

/** A row of `virsh list --all --uuid --name`: `UUID NAME` (names may contain spaces). */
export interface ListedDomain {
  uuid: string;
  name: string;
}

/**
 * Parses `virsh list --all --uuid --name` output. Pure.
 *
 * virsh prints `%-36s %s` per domain and one empty line at the end. The name is everything after
 * the single space that follows the 36-character UUID, kept byte for byte (no trimming: libvirt
 * names may contain spaces, quotes, `<`, or look like options or numbers). Throws on a line that is
 * not `UUID NAME`, because a half-understood inventory is worse than an error.
 */
export function parseListUuidName(stdout: string): ListedDomain[] {
  const rows: ListedDomain[] = [];
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const uuid = line.slice(0, 36);
    if (!isUuid(uuid) || line[36] !== " " || line.length < 38) {
      throw new Error(`unexpected line in virsh list output: ${JSON.stringify(line)}`);
    }
    rows.push({ uuid, name: line.slice(37) });
  }
  return rows;
}

/**
 * Parses `virsh list --all --uuid [--persistent|--transient]` output (one UUID per line, then an
 * empty line). Pure. Throws on a line that is not a UUID.
 */
export function parseUuidList(stdout: string): string[] {
  const uuids: string[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (!isUuid(line)) {
      throw new Error(`unexpected line in virsh list --uuid output: ${JSON.stringify(raw)}`);
    }
    uuids.push(line);
  }
  return uuids;
}
