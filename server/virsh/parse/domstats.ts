/**
 * Parser for `virsh domstats --state --block --backing [--domain-list]`.
 *
 * @module
 */

/** One `block.N.*` group: a layer (or a mirror target while a copy runs). */
export interface BlockStat {
  /** The N in `block.N`. */
  slot: number;
  /** Disk target (`vda`). */
  name: string;
  /** Absent for an empty drive and for a network source. */
  path: string | null;
  /**
   * The layer's XML `index` (the N of `vda[N]`), also on the top layer (libvirt 9.0 prints the
   * top's own index here, not 0). Absent when the domain is off.
   */
  backingIndex: number | null;
  allocation: number | null;
  capacity: number | null;
  physical: number | null;
}

/** Stats for one domain. */
export interface DomainStats {
  /** The name between the quotes of `Domain: '...'`. */
  name: string;
  /** `state.state` (virDomainState number), or null. */
  state: number | null;
  /** `state.reason`, or null. */
  reason: number | null;
  /**
   * `block.N` groups in slot order. libvirt 9.0 lists each disk's chain top first, and during a
   * copy the mirror destination comes right after that disk's chain with the same `name`.
   */
  blocks: BlockStat[];
}

const HEADER_PREFIX = "Domain: ";

/**
 * Reads the name out of `Domain: '...'`: everything between the first and the last quote, so
 * `Domain: 'it's'` gives `it's`. libvirt 9.0 refuses newlines in names, so this is exact for a
 * complete header; `knownNames` only rescues a header with trailing noise after the closing quote
 * (the longest known name that the header starts with wins).
 */
function headerName(line: string, knownNames?: readonly string[]): string {
  const rest = line.slice(HEADER_PREFIX.length);
  const first = rest.indexOf("'");
  const last = rest.lastIndexOf("'");
  const quoted = first >= 0 && last > first ? rest.slice(first + 1, last) : rest;
  if (!knownNames || knownNames.includes(quoted)) return quoted;
  let best: string | null = null;
  for (const name of knownNames) {
    if (rest.startsWith(`'${name}'`) && (best === null || name.length > best.length)) best = name;
  }
  return best ?? quoted;
}

/** A decimal integer, or null for anything else (virsh never prints units here). */
function intOrNull(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : null;
}

function emptyBlock(slot: number): BlockStat {
  return {
    slot,
    name: "",
    path: null,
    backingIndex: null,
    allocation: null,
    capacity: null,
    physical: null,
  };
}

/**
 * Parses domstats output. `knownNames` (from `virsh list`) disambiguates names that contain
 * quotes or newlines-like oddities in the `Domain: '...'` header. Pure.
 *
 * Stat lines are `  key=value`, split at the first `=` (paths may contain `=`). Counters other
 * than state and the block layer fields (`rd.*`, `wr.*`, ...) are ignored. A line before any
 * `Domain:` header throws.
 */
export function parseDomstats(stdout: string, knownNames?: readonly string[]): DomainStats[] {
  const domains: DomainStats[] = [];
  let current: DomainStats | null = null;
  let blocks = new Map<number, BlockStat>();
  const finish = () => {
    if (current) current.blocks = [...blocks.values()].sort((a, b) => a.slot - b.slot);
  };
  for (const raw of stdout.split("\n")) {
    if (raw.startsWith(HEADER_PREFIX)) {
      finish();
      current = { name: headerName(raw, knownNames), state: null, reason: null, blocks: [] };
      blocks = new Map();
      domains.push(current);
      continue;
    }
    const line = raw.trim();
    if (line === "") continue;
    if (!current) throw new Error(`domstats line before any Domain header: ${JSON.stringify(raw)}`);
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === "state.state") current.state = intOrNull(value);
    else if (key === "state.reason") current.reason = intOrNull(value);
    else {
      const m = /^block\.(\d+)\.(name|path|backingIndex|allocation|capacity|physical)$/.exec(key);
      if (!m) continue;
      const slot = Number(m[1]);
      let block = blocks.get(slot);
      if (!block) blocks.set(slot, block = emptyBlock(slot));
      const field = m[2];
      if (field === "name") block.name = value;
      else if (field === "path") block.path = value;
      else {block[field as "backingIndex" | "allocation" | "capacity" | "physical"] = intOrNull(
          value,
        );}
    }
  }
  finish();
  return domains;
}
