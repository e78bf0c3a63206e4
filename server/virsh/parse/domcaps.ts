/**
 * Parser of `virsh domcapabilities`: what a host can run for one virtualization type, arch and
 * machine, as far as the migration pre-flight checks it (the CPU modes and models, the vCPU
 * limit).
 *
 * @module
 */
import { XMLParser } from "fast-xml-parser";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });

/** What the pre-flight reads from `domcapabilities`. */
export interface DomainCapabilities {
  /** `qemu` (TCG) or `kvm`. */
  domain: string;
  /** The machine type resolved (`pc` → `pc-i440fx-7.2`). */
  machine: string;
  arch: string;
  vcpuMax: number | null;
  /** `<mode name=… supported=…>` of `<cpu>`. */
  cpuModes: Record<string, boolean>;
  /** Custom CPU models this host can run (`usable='yes'`). */
  usableModels: string[];
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Parses `virsh domcapabilities` XML. Pure; throws on XML without `<domainCapabilities>`. */
export function parseDomainCapabilities(xml: string): DomainCapabilities {
  const doc = parser.parse(xml) as Record<string, unknown>;
  const caps = doc.domainCapabilities as Record<string, unknown> | undefined;
  if (!caps || typeof caps !== "object") {
    throw new Error("not domcapabilities XML: no <domainCapabilities>");
  }
  const vcpu = caps.vcpu as Record<string, unknown> | undefined;
  const cpu = caps.cpu as Record<string, unknown> | undefined;
  const cpuModes: Record<string, boolean> = {};
  const usableModels: string[] = [];
  for (const mode of list(cpu?.mode as Record<string, unknown> | Record<string, unknown>[])) {
    const name = String(mode["@name"] ?? "");
    cpuModes[name] = mode["@supported"] === "yes";
    if (name !== "custom") continue;
    for (const model of list(mode.model as Record<string, unknown> | Record<string, unknown>[])) {
      if (model["@usable"] === "yes") usableModels.push(String(model["#text"] ?? ""));
    }
  }
  const max = Number(vcpu?.["@max"]);
  return {
    domain: String(caps.domain ?? ""),
    machine: String(caps.machine ?? ""),
    arch: String(caps.arch ?? ""),
    vcpuMax: Number.isInteger(max) ? max : null,
    cpuModes,
    usableModels,
  };
}
