/** The offline move of a shut-off persistent domain: every layer copied, the definition changed. */
import { assert, assertEquals } from "../std_assert.ts";
import { createLabDomain, labVirsh, uniqueName } from "../lab/lab.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { backingChainInfo, fingerprints, moveLab, sameGuestView, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("offline move of a shut-off domain, then it starts on the new chain", opts, async () => {
  await using lab = await moveLab();
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    running: false,
  });
  const old = dom.disks[0].chain;
  const before = await fingerprints(old);
  const dest = `${lab.destRoot}/offline`;
  const plan = await lab.engine.plan(dom.uuid, { destDir: dest });
  assertEquals(plan.mode, "offline");
  assertEquals(plan.disks[0].layers.map((l) => l.action), ["copy", "copy", "copy"]);
  const move = await lab.engine.start(dom.uuid, { destDir: dest });
  const done = await waitMove(lab.engine, move.id, ["done"]);
  assertEquals(done.mode, "offline");
  assertEquals(done.disks[0].job, null);
  assertEquals((await xmlDisk(dom.uuid, "vda", true)).chain[0].path, `${dest}/snap2.qcow2`);
  const info = await backingChainInfo(`${dest}/snap2.qcow2`);
  assertEquals(info.map((i) => i.filename), [
    `${dest}/snap2.qcow2`,
    `${dest}/snap1.qcow2`,
    `${dest}/base.qcow2`,
  ]);
  assertEquals(info.map((i) => i["backing-filename"]), ["snap1.qcow2", "base.qcow2", undefined]);
  assert(await sameGuestView(old[0], `${dest}/snap2.qcow2`));
  assertEquals(await fingerprints(old), before);
  // It runs on the new chain.
  assertEquals((await labVirsh("start", "--domain", dom.uuid)).code, 0);
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path), [
    `${dest}/snap2.qcow2`,
    `${dest}/snap1.qcow2`,
    `${dest}/base.qcow2`,
  ]);
});
