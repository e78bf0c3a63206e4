/**
 * Parser for `virsh domblklist --details` (used by the terminal's output and as a cross-check;
 * the inventory reads the XML, which also carries formats and chains).
 *
 * @module
 */

/** One row of `domblklist --details`. */
export interface BlockListEntry {
  /** `file`, `block`, `network`, ... */
  type: string;
  /** `disk`, `cdrom`, ... */
  device: string;
  target: string;
  /** The active layer's path; null for an empty drive (virsh prints `-`). */
  source: string | null;
}

/**
 * Parses the table. The source is everything after the target column, so paths with spaces
 * survive. Pure; throws on a row with fewer than four columns.
 */
export function parseDomBlkList(stdout: string): BlockListEntry[] {
  const rows: BlockListEntry[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "" || /^-+$/.test(line.trim()) || /^\s*Type\s+Device\s+Target/.test(line)) {
      continue;
    }
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s*$/.exec(line);
    if (!m) throw new Error(`unexpected domblklist row: ${JSON.stringify(line)}`);
    rows.push({ type: m[1], device: m[2], target: m[3], source: m[4] === "-" ? null : m[4] });
  }
  return rows;
}
