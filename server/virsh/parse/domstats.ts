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
  path: string | null;
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
  blocks: BlockStat[];
}

/**
 * Parses domstats output. `knownNames` (from `virsh list`) disambiguates names that contain
 * quotes or newlines-like oddities in the `Domain: '...'` header. Pure.
 */
export function parseDomstats(_stdout: string, _knownNames?: readonly string[]): DomainStats[] {
  throw new Error("not implemented");
}
