/** The bulk `domstats --block --backing` call (storage roots' image list) against the real lab. */
import { assert, assertEquals } from "@std/assert";
import { domStatsAllLayersArgs } from "../../server/virsh/commands.ts";
import { parseDomstats } from "../../server/virsh/parse/domstats.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI } from "../lab/lab.ts";

Deno.test("domstats --block --backing: every layer of running domains and the image of shut-off ones, in one call", async () => {
  await using running = await createLabDomain({ disks: [{ target: "vda", layers: 3 }] });
  await using off = await createLabDomain({ persistent: true, running: false });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const out = await runner.run(domStatsAllLayersArgs());
  const paths = parseDomstats(out.stdout).flatMap((d) => d.blocks).flatMap((b) =>
    b.path ? [b.path] : []
  );
  assertEquals(runner.spawned, 1);
  for (const p of running.disks[0].chain) assert(paths.includes(p), p);
  assert(paths.includes(off.disks[0].chain[0]), off.disks[0].chain[0]);
});
