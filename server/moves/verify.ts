/**
 * After the switch: libvirt's chain of each moved disk against the planned one, layer by layer
 * (same files, by the file they resolve to, same order and formats, all under the destination),
 * and for a persistent domain the inactive definition's active layer too.
 *
 * @module
 */
import { dumpXmlArgs } from "../virsh/commands.ts";
import { parseDomainXml } from "../virsh/parse/domxml.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { chainMismatch, describeChain, type ResolvedLayer } from "../jobs/chain_match.ts";
import { realPathOrNull } from "../jobs/reused_destination.ts";
import { isInside } from "../security/destinations.ts";
import type { PlannedMoveDisk } from "./model.ts";

function resolve(layers: readonly { path: string; format: string | null }[]) {
  return Promise.all(layers.map(async (l): Promise<ResolvedLayer> => ({
    path: l.path,
    realPath: await realPathOrNull(l.path),
    format: l.format,
  })));
}

/**
 * Problems (sentences) with the disks' chains now; empty when every disk runs (offline: is
 * defined) on its planned chain. `live` reads the running domain's XML whole chain; `inactive`
 * checks the persistent definition's active layer (its chain is in the headers).
 */
export async function verifyMovedChains(
  runner: VirshRunner,
  uuid: string,
  disks: readonly PlannedMoveDisk[],
  destDir: string,
  which: { live: boolean; inactive: boolean },
): Promise<string[]> {
  const problems: string[] = [];
  const realDest = await realPathOrNull(destDir) ?? destDir;
  if (which.live) {
    const xml = parseDomainXml((await runner.run(dumpXmlArgs(uuid))).stdout);
    for (const disk of disks) {
      const chain = xml.disks.find((d) => d.target === disk.target)?.chain ?? [];
      const [want, got] = await Promise.all([resolve(disk.chainAfter), resolve(chain)]);
      const mismatch = chainMismatch(want, got);
      if (mismatch !== null) {
        problems.push(
          `${disk.target}: ${mismatch}; libvirt reports ${describeChain(got)}`,
        );
        continue;
      }
      const outside = got.find((l) => !isInside(l.realPath ?? l.path, realDest));
      if (outside) problems.push(`${disk.target}: ${outside.path} is not under ${destDir}`);
    }
  }
  if (which.inactive) {
    const xml = parseDomainXml((await runner.run(dumpXmlArgs(uuid, { inactive: true }))).stdout);
    for (const disk of disks) {
      const top = xml.disks.find((d) => d.target === disk.target)?.chain[0];
      const want = disk.chainAfter[0];
      if (!top || top.path !== want.path || top.format !== want.format) {
        problems.push(
          `${disk.target}: the persistent definition uses ${top?.path ?? "no file"} [${
            top?.format ?? "?"
          }], not ${want.path} [${want.format}]`,
        );
      }
    }
  }
  return problems;
}
