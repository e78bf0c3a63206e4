/**
 * Parsers of the storage-pool reports the migration and remote copies read: `pool-info --bytes`
 * (state and free space), `pool-list --all --name` and `vol-list` (names and paths).
 *
 * @module
 */

/** A pool as `virsh pool-info --bytes` reports it. */
export interface PoolInfo {
  name: string;
  uuid: string;
  /** `running`, `inactive`, `building`, `degraded`, `inaccessible`. */
  state: string;
  persistent: boolean;
  autostart: boolean;
  /** Bytes; null when the pool is not running (virsh prints no sizes then). */
  capacity: number | null;
  allocation: number | null;
  available: number | null;
}

/** `Key:   value` lines into a map (keys as printed). */
function keyValues(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    map.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return map;
}

/** Parses `virsh pool-info --bytes` output. Pure; throws without a `Name:` line. */
export function parsePoolInfo(stdout: string): PoolInfo {
  const kv = keyValues(stdout);
  const name = kv.get("Name");
  if (name === undefined) {
    throw new Error(`not pool-info output: ${JSON.stringify(stdout.slice(0, 80))}`);
  }
  const bytes = (key: string): number | null => {
    const v = kv.get(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    name,
    uuid: kv.get("UUID") ?? "",
    state: kv.get("State") ?? "",
    persistent: kv.get("Persistent") === "yes",
    autostart: kv.get("Autostart") === "yes",
    capacity: bytes("Capacity"),
    allocation: bytes("Allocation"),
    available: bytes("Available"),
  };
}

/** A volume row of `virsh vol-list`. */
export interface ListedVolume {
  name: string;
  path: string;
}

/**
 * Parses `virsh vol-list --pool P` (the ` Name  Path` table). Pure. Columns are separated by at
 * least two blanks; a volume name holding two blanks in a row would be misread, so callers
 * compare paths, which they get from the second column.
 */
export function parseVolList(stdout: string): ListedVolume[] {
  const lines = stdout.split("\n");
  const header = lines.findIndex((l) => /^\s*Name\s+Path\s*$/.test(l));
  if (header < 0) throw new Error(`not vol-list output: ${JSON.stringify(stdout.slice(0, 80))}`);
  const rows: ListedVolume[] = [];
  for (const line of lines.slice(header + 2)) {
    if (line.trim() === "") continue;
    const m = /^\s*(.+?)\s{2,}(\/.*?)\s*$/.exec(line);
    if (!m) throw new Error(`unexpected line in vol-list output: ${JSON.stringify(line)}`);
    rows.push({ name: m[1], path: m[2] });
  }
  return rows;
}

/** Parses `virsh pool-list --all --name` (one name a line). Pure. */
export function parsePoolNames(stdout: string): string[] {
  return stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}
