/**
 * The last step of an offline move: the persistent definition (`dumpxml --inactive`) with each
 * moved disk's `<source file>` set to its copied top (format unchanged, any spelled-out
 * `<backingStore>` dropped: the copies' own headers name their relative backing files with
 * formats), written to a private temporary file and given to `virsh define`.
 *
 * @module
 */
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import { defineArgs, dumpXmlArgs } from "../virsh/commands.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { MovePlan } from "./model.ts";

type OrderedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

const options = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  commentPropName: "#comment",
} as const;

function childrenOf(node: OrderedNode, tag: string): OrderedNode[] {
  const list = node[tag];
  return Array.isArray(list) ? list as OrderedNode[] : [];
}

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ":@");
}

/**
 * The definition with `tops` (target → new top path) applied. Pure; throws when a target is not
 * a file disk of the definition.
 */
export function redefineDiskSources(xml: string, tops: ReadonlyMap<string, string>): string {
  const doc = new XMLParser(options).parse(xml) as OrderedNode[];
  const domain = doc.find((n) => tagOf(n) === "domain");
  if (!domain) throw new Error("not a domain definition");
  const devices = childrenOf(domain, "domain").find((n) => tagOf(n) === "devices");
  if (!devices) throw new Error("the definition has no <devices>");
  const done = new Set<string>();
  for (const disk of childrenOf(devices, "devices").filter((n) => tagOf(n) === "disk")) {
    const kids = childrenOf(disk, "disk");
    const target = kids.find((n) => tagOf(n) === "target")?.[":@"]?.["@_dev"];
    if (target === undefined || !tops.has(target)) continue;
    const source = kids.find((n) => tagOf(n) === "source");
    if (!source?.[":@"]?.["@_file"]) throw new Error(`disk ${target} is not a file disk`);
    source[":@"]["@_file"] = tops.get(target)!;
    disk.disk = kids.filter((n) => tagOf(n) !== "backingStore");
    done.add(target);
  }
  for (const target of tops.keys()) {
    if (!done.has(target)) throw new Error(`the definition has no disk ${target}`);
  }
  return new XMLBuilder(options).build(doc) as string;
}

/** Redefines the domain on the plan's new tops; calls `defined` once libvirt accepted it. */
export async function defineMovedDisks(
  runner: VirshRunner,
  plan: MovePlan,
  defined: () => void,
): Promise<void> {
  const xml = (await runner.run(dumpXmlArgs(plan.uuid, { inactive: true }))).stdout;
  const next = redefineDiskSources(
    xml,
    new Map(plan.disks.map((d) => [d.target, d.chainAfter[0].path])),
  );
  const file = await Deno.makeTempFile({ prefix: "blockboard-move-", suffix: ".xml" });
  try {
    await Deno.chmod(file, 0o600);
    await Deno.writeTextFile(file, next);
    await runner.run(defineArgs(file));
    defined();
  } finally {
    await Deno.remove(file).catch(() => undefined);
  }
}
