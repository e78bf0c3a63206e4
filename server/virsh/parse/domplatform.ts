/**
 * Parser of the platform part of `virsh dumpxml`: virtualization type, arch, machine, vCPUs and
 * CPU mode/model, as the migration pre-flight compares them with the target's
 * `domcapabilities`.
 *
 * @module
 */
import { XMLParser } from "fast-xml-parser";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });

/** A domain's platform (see the module doc). */
export interface DomainPlatformXml {
  virtType: string;
  arch: string;
  machine: string;
  vcpus: number;
  /** `<cpu mode=…>`; `custom` when `<cpu>` has no mode; null without `<cpu>`. */
  cpuMode: string | null;
  cpuModel: string | null;
}

type Node = Record<string, unknown>;

function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "object") {
    const t = (value as Node)["#text"];
    return t === undefined ? null : String(t).trim();
  }
  return String(value).trim();
}

/** Parses the platform of `virsh dumpxml` output. Pure; throws without `<domain>`. */
export function parseDomainPlatform(xml: string): DomainPlatformXml {
  const doc = parser.parse(xml) as Node;
  const domain = doc.domain as Node | undefined;
  if (!domain || typeof domain !== "object") throw new Error("not a libvirt domain XML");
  const os = (domain.os ?? {}) as Node;
  const type = (typeof os.type === "object" ? os.type : { "#text": os.type }) as Node;
  const cpu = domain.cpu as Node | undefined;
  const vcpus = Number(textOf(domain.vcpu) ?? "1");
  return {
    virtType: String(domain["@type"] ?? ""),
    arch: String(type["@arch"] ?? ""),
    machine: String(type["@machine"] ?? ""),
    vcpus: Number.isInteger(vcpus) ? vcpus : 1,
    cpuMode: cpu === undefined ? null : String((cpu as Node)["@mode"] ?? "custom"),
    cpuModel: cpu === undefined ? null : textOf((cpu as Node).model),
  };
}
