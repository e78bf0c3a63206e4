/**
 * The standing demo set, so that `deno task start` after `deno task lab` shows something:
 * `bbdemo-web` (transient, running, vda base<-snap1<-snap2, vdb raw), `bbdemo-db` (persistent,
 * running, a chain of 2) and `bbdemo-off` (persistent, shut off). Existing ones are re-used.
 *
 * @module
 */
import { domainOwner } from "./leftovers.ts";
import { labVirsh, mustVirsh } from "./exec.ts";
import { buildLabDomain, type LabDiskSpec } from "./lab.ts";
import { LAB_ROOT, removeDomainByUuid, removeLabDir } from "./teardown.ts";

/** One demo domain. */
export interface DemoSpec {
  name: string;
  persistent: boolean;
  running: boolean;
  disks: LabDiskSpec[];
}

/** The demo set. */
export const DEMO_DOMAINS: readonly DemoSpec[] = [
  {
    name: "bbdemo-web",
    persistent: false,
    running: true,
    disks: [{ target: "vda", layers: 3 }, { target: "vdb", format: "raw", sizeMiB: 32 }],
  },
  { name: "bbdemo-db", persistent: true, running: true, disks: [{ target: "vda", layers: 2 }] },
  { name: "bbdemo-off", persistent: true, running: false, disks: [{ target: "vda", layers: 2 }] },
];

/** Where the demo domains keep their files. */
export const DEMO_ROOT = `${LAB_ROOT}/demo`;

/** Creates the demo domains that are missing and puts each in its intended state. */
export async function ensureDemo(log: (line: string) => void): Promise<void> {
  await Deno.mkdir(DEMO_ROOT, { recursive: true });
  for (const demo of DEMO_DOMAINS) await ensureOne(demo, log);
}

async function ensureOne(demo: DemoSpec, log: (line: string) => void): Promise<void> {
  const dir = `${DEMO_ROOT}/${demo.name}`;
  const found = await labVirsh("domuuid", "--domain", demo.name);
  if (found.code === 0) {
    const uuid = found.stdout.trim();
    if (await usable(uuid, demo, dir)) {
      const state = (await labVirsh("domstate", "--domain", uuid)).stdout.trim();
      if (demo.running && state === "shut off") {
        await mustVirsh("start", "--domain", uuid);
        log(`demo: ${demo.name} started`);
      } else if (!demo.running && state !== "shut off") {
        await mustVirsh("destroy", "--domain", uuid);
        log(`demo: ${demo.name} shut off`);
      } else {
        log(`demo: ${demo.name} re-used (${state})`);
      }
      return;
    }
    log(`demo: ${demo.name} exists but its files or kind are not the lab's; rebuilding it`);
    await removeDomainByUuid(uuid);
  }
  await removeLabDir(dir);
  const dom = await buildLabDomain({
    name: demo.name,
    uuid: crypto.randomUUID(),
    dir,
    role: "demo",
    persistent: demo.persistent,
    running: demo.running,
    disks: demo.disks,
  });
  log(
    `demo: ${demo.name} created (${demo.persistent ? "persistent" : "transient"}, ${
      demo.running ? "running" : "shut off"
    }; ${dom.disks.map((d) => `${d.target}: ${d.chain.length} layer(s)`).join(", ")})`,
  );
}

/** The domain is ours, of the right kind, and its top images still exist. */
async function usable(uuid: string, demo: DemoSpec, dir: string): Promise<boolean> {
  const owner = await domainOwner(uuid);
  if (!owner || owner.role !== "demo" || owner.dir !== dir) return false;
  const info = await labVirsh("dominfo", "--domain", uuid);
  const persistent = /^Persistent:\s+yes/m.test(info.stdout);
  if (persistent !== demo.persistent) return false;
  const blk = await labVirsh("domblklist", "--domain", uuid, "--details");
  const sources = blk.stdout.split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === "disk" && f[3]?.startsWith("/"))
    .map((f) => f.slice(3).join(" "));
  if (sources.length !== demo.disks.length) return false;
  for (const source of sources) {
    try {
      await Deno.stat(source);
    } catch {
      return false;
    }
  }
  return true;
}
