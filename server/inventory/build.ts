/**
 * Pure merging of what virsh printed into the inventory's shapes: one {@link Domain} from its
 * listing, persistence, bulk domstats record and live XML; one {@link Disk} per XML disk with
 * sizes from the matching domstats blocks.
 *
 * @module
 */
import type { ListedDomain } from "../virsh/parse/list.ts";
import type { BlockStat, DomainStats } from "../virsh/parse/domstats.ts";
import type { DomainXml, XmlDisk } from "../virsh/parse/domxml.ts";
import { type Disk, type Domain, domainStateName, type Layer } from "./model.ts";

/** What {@link buildDomain} merges for one domain. */
export interface DomainSources {
  /** The domain as `list` names it. */
  listed: ListedDomain;
  /** Whether `list --persistent` named it. */
  persistent: boolean;
  /** Its bulk `domstats` record; null when domstats had none. */
  stats: DomainStats | null;
  /** Its parsed live XML. */
  xml: DomainXml;
}

/** Merges list, persistence, domstats and XML into one {@link Domain}. Pure. */
export function buildDomain({ listed, persistent, stats, xml }: DomainSources): Domain {
  return {
    name: listed.name,
    uuid: listed.uuid,
    state: domainStateName(stats?.state ?? null),
    persistent,
    disks: xml.disks.map((d) => buildDisk(d, stats?.blocks ?? [])),
  };
}

/** One disk: XML layers with sizes from the matching domstats blocks. Pure. */
export function buildDisk(disk: XmlDisk, blocks: readonly BlockStat[]): Disk {
  const mine = blocks.filter((b) => b.name === disk.target);
  const chain: Layer[] = disk.chain.map((layer, position) => {
    const stat = mine.find((b) => layer.index !== null && b.backingIndex === layer.index) ??
      mine.find((b) => b.path === layer.path) ??
      // Shut-off domains have no indexes; domstats then reports the top only.
      (position === 0 ? mine.find((b) => b.backingIndex === null) : undefined);
    return {
      index: layer.index,
      path: layer.path,
      format: layer.format,
      capacity: stat?.capacity ?? null,
      allocation: stat ? (stat.physical ?? stat.allocation) : null,
    };
  });
  const warnings: string[] = [];
  const unrecorded = chain.slice(1).filter((l) => l.format === null);
  if (unrecorded.length) {
    warnings.push(
      `libvirt has no recorded format for ${
        unrecorded.map((l) => l.path).join(", ")
      }; blockboard will not run jobs on this disk (a probe could follow a guest-written header)`,
    );
  }
  if (chain.length && chain[0].format === null) {
    warnings.push("the active layer's format is not recorded in the domain XML");
  }
  return {
    target: disk.target,
    device: disk.device,
    type: disk.type,
    format: disk.chain[0]?.format ?? null,
    source: disk.chain[0]?.path ?? null,
    chain,
    mirror: disk.mirror
      ? {
        path: disk.mirror.path,
        format: disk.mirror.format,
        job: disk.mirror.job,
        ready: disk.mirror.ready,
      }
      : null,
    warnings,
    job: null,
  };
}
