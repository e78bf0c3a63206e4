/**
 * Parser for `virsh dumpxml` (live or `--inactive`): the domain's disks with backing chains and
 * `<mirror>`, with a real XML parser.
 *
 * What libvirt 9.0 prints (see tests/fixtures/virsh/README.md):
 * - live XML: every layer has an `index`; each chain ends with an explicit empty
 *   `<backingStore/>`, also for a raw disk with no backing file.
 * - inactive XML (and the XML of a shut-off domain): no `index`, and no `<backingStore>` at all
 *   under the top layer unless the definition spelled one out, so the chain is `[top]` with
 *   `chainOpenEnded: true`.
 * - an empty cdrom has no `<source>` (live XML also drops `<driver type>`): chain `[]`.
 * - a copy's `<mirror>` carries `file`/`format` attributes plus `<format>`/`<source>` children;
 *   an active commit's `<mirror job='active-commit'>` has only the children.
 *
 * @module
 */
import { XMLParser } from "fast-xml-parser";

/** One layer as the XML describes it. */
export interface XmlLayer {
  /** `index` attribute; null when absent (inactive XML). */
  index: number | null;
  /** `file`, `block`, `network`, `volume`, `dir`. */
  type: string;
  /**
   * `source@file`, `source@dev`, `source@dir`, `pool/volume` for a volume, or
   * `protocol://host[:port]/name` for network (first `<host>`; the port only when recorded).
   */
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
   * record or detect the rest of the chain). Always false for an empty drive.
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

/** A parsed element: attributes as `@_name`, children by tag name. */
type XmlNode = Record<string, unknown>;

/** Repeatable elements we read; always arrays so one and many look the same. */
const ARRAY_TAGS = new Set(["disk", "backingStore", "host"]);

// Values stay strings (a domain named `12`, a path of digits); whitespace is kept so names are
// exact; entities (`&lt;`, `&apos;`) are decoded.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (tagName) => ARRAY_TAGS.has(tagName),
});

function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An element as a node; empty elements (`<readonly/>` parses as "") become `{}`. */
function node(value: unknown): XmlNode | null {
  if (isNode(value)) return value;
  if (value === "") return {};
  return null;
}

function attr(el: XmlNode | null | undefined, name: string): string | null {
  const v = el?.[`@_${name}`];
  return typeof v === "string" ? v : null;
}

function text(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (isNode(value) && typeof value["#text"] === "string") return value["#text"];
  return null;
}

function children(value: unknown): XmlNode[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map(node).filter((n): n is XmlNode => n !== null);
}

function parseIndex(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

/** The path a `<source>` names for a given source type; null when it names none. */
function sourcePath(type: string, source: XmlNode | null): string | null {
  if (!source) return null;
  switch (type) {
    case "network": {
      const protocol = attr(source, "protocol");
      if (protocol === null) return null;
      const host = children(source.host)[0];
      const hostName = attr(host, "name") ?? "";
      const port = attr(host, "port");
      const name = attr(source, "name");
      return `${protocol}://${hostName}${port !== null ? `:${port}` : ""}${
        name !== null ? `/${name}` : ""
      }`;
    }
    case "volume": {
      const pool = attr(source, "pool");
      const volume = attr(source, "volume");
      return pool !== null && volume !== null ? `${pool}/${volume}` : null;
    }
    case "block":
      return attr(source, "dev");
    case "dir":
      return attr(source, "dir");
    case "file":
      return attr(source, "file");
    default:
      return attr(source, "file") ?? attr(source, "dev") ?? attr(source, "dir");
  }
}

/** An empty `<backingStore/>`: the explicit end of a chain. */
function isChainEnd(el: XmlNode): boolean {
  return attr(el, "type") === null && el.source === undefined;
}

function parseChain(disk: XmlNode, type: string): { chain: XmlLayer[]; openEnded: boolean } {
  const source = node(disk.source);
  const topPath = sourcePath(type, source);
  if (topPath === null) return { chain: [], openEnded: false };
  const chain: XmlLayer[] = [{
    index: parseIndex(attr(source, "index")),
    type,
    path: topPath,
    format: attr(node(disk.driver), "type"),
  }];
  let current = disk;
  // Each layer holds at most one <backingStore>; the walk ends at the empty one or where the
  // XML stops describing the chain.
  for (;;) {
    const next = children(current.backingStore)[0];
    if (next === undefined) return { chain, openEnded: true };
    if (isChainEnd(next)) return { chain, openEnded: false };
    const layerType = attr(next, "type") ?? "file";
    const layerSource = node(next.source);
    chain.push({
      index: parseIndex(attr(next, "index")) ?? parseIndex(attr(layerSource, "index")),
      type: layerType,
      path: sourcePath(layerType, layerSource) ?? "",
      format: attr(node(next.format), "type"),
    });
    current = next;
  }
}

function parseMirror(value: unknown): XmlMirror | null {
  const mirror = node(value);
  if (!mirror) return null;
  const type = attr(mirror, "type") ?? "file";
  return {
    path: attr(mirror, "file") ?? sourcePath(type, node(mirror.source)) ?? "",
    format: attr(mirror, "format") ?? attr(node(mirror.format), "type"),
    job: attr(mirror, "job"),
    ready: attr(mirror, "ready"),
  };
}

function parseDisk(disk: XmlNode): XmlDisk {
  const type = attr(disk, "type") ?? "file";
  const target = node(disk.target);
  const { chain, openEnded } = parseChain(disk, type);
  return {
    target: attr(target, "dev") ?? "",
    bus: attr(target, "bus"),
    device: attr(disk, "device") ?? "disk",
    type,
    chain,
    chainOpenEnded: openEnded,
    mirror: parseMirror(disk.mirror),
    readonly: disk.readonly !== undefined,
  };
}

/** Parses `virsh dumpxml` output. Throws on XML that is not a domain. Pure. */
export function parseDomainXml(xml: string): DomainXml {
  const doc = parser.parse(xml) as XmlNode;
  const domain = node(doc.domain);
  if (!domain) throw new Error("not a libvirt domain XML: no <domain> root element");
  const name = text(domain.name);
  const uuid = text(domain.uuid);
  if (name === null || uuid === null) throw new Error("domain XML lacks <name> or <uuid>");
  const devices = node(domain.devices);
  return {
    name,
    uuid: uuid.trim(),
    domainType: attr(domain, "type") ?? "",
    disks: children(devices?.disk).map(parseDisk),
  };
}
