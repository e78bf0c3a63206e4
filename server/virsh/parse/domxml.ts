/**
 * Parser for `virsh dumpxml` (live or `--inactive`): the domain's disks with backing chains and
 * `<mirror>`, with a real XML parser.
 *
 * @module
 */

/** One layer as the XML describes it. */
export interface XmlLayer {
  /** `index` attribute; null when absent (inactive XML). */
  index: number | null;
  /** `file`, `block`, `network`, `volume`, `dir`. */
  type: string;
  /** `source@file`, `source@dev`, `source@dir`, or `protocol://host/name` for network. */
  path: string;
  /** `driver@type` for the top, `format@type` for backing layers; null when not recorded. */
  format: string | null;
}

/** `<mirror>` of a disk during a copy or active commit. */
export interface XmlMirror {
  path: string;
  format: string | null;
  /** `job` attribute: `copy` or `active-commit`. */
  job: string | null;
  /** `ready` attribute: `yes`, `abort`, `pivot`; null when absent. */
  ready: string | null;
}

/** A `<disk>` element. */
export interface XmlDisk {
  target: string;
  bus: string | null;
  device: string;
  type: string;
  /** Layers top first; empty for an empty cdrom. The chain ends at `<backingStore/>`. */
  chain: XmlLayer[];
  /**
   * True when the chain ended without an explicit empty `<backingStore/>` (libvirt did not
   * record or detect the rest of the chain).
   */
  chainOpenEnded: boolean;
  mirror: XmlMirror | null;
  readonly: boolean;
}

/** What blockboard needs from a domain's XML. */
export interface DomainXml {
  name: string;
  uuid: string;
  /** `type` attribute of `<domain>` (`qemu`, `kvm`). */
  domainType: string;
  disks: XmlDisk[];
}

/** Parses `virsh dumpxml` output. Throws on XML that is not a domain. Pure. */
export function parseDomainXml(_xml: string): DomainXml {
  throw new Error("not implemented");
}
