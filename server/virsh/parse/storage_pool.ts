/**
 * Parser of `virsh pool-dumpxml`: the directory a storage pool keeps its volumes in.
 *
 * @module
 */
import { XMLParser } from "fast-xml-parser";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });

/** Pool types whose target is a directory of image files (others are devices or remote). */
const DIRECTORY_POOLS = new Set(["dir", "fs", "netfs"]);

/** A storage pool's type and target path. */
export interface PoolTarget {
  name: string;
  type: string;
  /** `<target><path>`, or null when absent. */
  path: string | null;
  /** True for pools whose volumes are files in `path` (dir, fs, netfs). */
  isDirectory: boolean;
}

/** Parses `virsh pool-dumpxml` output. Pure; throws on XML that is not a pool. */
export function parsePoolXml(xml: string): PoolTarget {
  const doc = parser.parse(xml) as Record<string, unknown>;
  const pool = doc.pool as Record<string, unknown> | undefined;
  if (!pool || typeof pool !== "object") throw new Error("not a libvirt pool XML: no <pool>");
  const type = String(pool["@type"] ?? "");
  const target = pool.target as Record<string, unknown> | undefined;
  const path = typeof target?.path === "string" ? target.path.trim() : null;
  return {
    name: String(pool.name ?? ""),
    type,
    path: path || null,
    isDirectory: DIRECTORY_POOLS.has(type),
  };
}
