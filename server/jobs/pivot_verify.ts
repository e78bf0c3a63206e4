/**
 * After a pivot: the running domain's whole chain against the planned one (jobs blockboard
 * started; otherwise its active layer), and the persistent definition's active layer. A
 * difference comes back as a loud warning for the job's message.
 *
 * @module
 */
import { dumpXmlArgs } from "../virsh/commands.ts";
import { parseDomainXml } from "../virsh/parse/domxml.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { DiskRef } from "./book.ts";
import { chainMismatch, describeChain, type ResolvedLayer } from "./chain_match.ts";
import type { PlannedLayer } from "./plan.ts";
import { realPathOrNull } from "./reused_destination.ts";

/** What the pivot was meant to leave. */
export interface PivotExpectation {
  /** The file the disk should now run on; null when blockboard could not tell. */
  expected: string | null;
  /** The chain planned at start, when blockboard started the job; else null. */
  planned: readonly PlannedLayer[] | null;
  /** The domain has a persistent definition to check too. */
  persistent: boolean;
}

/** Warnings about what the domain runs on after a pivot (none when all is as planned). */
export async function verifyPivot(
  runner: VirshRunner,
  ref: DiskRef,
  { expected, planned, persistent }: PivotExpectation,
): Promise<string[]> {
  if (!expected) {
    return ["blockboard could not tell which file the disk should now use; check its XML."];
  }
  const warnings: string[] = [];
  const check = async (inactive: boolean) => {
    const label = inactive ? "persistent definition" : "running domain";
    try {
      const xml = parseDomainXml((await runner.run(dumpXmlArgs(ref.uuid, { inactive }))).stdout);
      const chain = xml.disks.find((d) => d.target === ref.target)?.chain ?? [];
      if (!inactive && planned !== null) {
        const resolve = (layers: readonly PlannedLayer[]) =>
          Promise.all(layers.map(async (l): Promise<ResolvedLayer> => ({
            path: l.path,
            realPath: await realPathOrNull(l.path),
            format: l.format,
          })));
        const [want, got] = await Promise.all([resolve(planned), resolve(chain)]);
        const mismatch = chainMismatch(want, got);
        if (mismatch !== null) {
          warnings.push(
            `CHAIN MISMATCH after the pivot: ${mismatch}. libvirt now reports ${ref.target} as ${
              describeChain(got)
            }; blockboard planned ${
              describeChain(want)
            }. The guest may be reading data from the wrong files: check virsh dumpxml and the images before it writes more.`,
          );
        }
        return;
      }
      const source = chain[0]?.path ?? null;
      if (source !== expected) {
        warnings.push(
          `Warning: after the pivot the ${label} uses ${
            source ?? "no file"
          } for ${ref.target}, not ${expected}; check it (virsh dumpxml${
            inactive ? " --inactive" : ""
          }) before the next restart.`,
        );
      }
    } catch (e) {
      warnings.push(
        `Warning: could not re-read the ${label} after the pivot: ${(e as Error).message}.`,
      );
    }
  };
  await check(false);
  if (persistent) await check(true);
  return warnings;
}
