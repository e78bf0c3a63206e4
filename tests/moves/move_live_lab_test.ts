/**
 * Live moves of running lab domains: a 3-layer qcow2 chain with manual and automatic switch.
 */
import { assert, assertEquals } from "../std_assert.ts";
import { createLabDomain, labVirsh, uniqueName } from "../lab/lab.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { backingChainInfo, fingerprints, moveLab, sameGuestView, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

for (const pivot of ["manual", "auto"] as const) {
  Deno.test(`live move of a 3-layer chain, ${pivot} switch`, opts, async () => {
    await using lab = await moveLab();
    await using dom = await createLabDomain({ name: uniqueName("bbmv-"), persistent: true });
    const old = dom.disks[0].chain;
    const before = await fingerprints(old);
    const dest = `${lab.destRoot}/moved`;
    const started = await lab.engine.start(dom.uuid, { destDir: dest, pivot });
    assertEquals(started.state, "planned");
    assertEquals(started.disks[0].layers.map((l) => l.to), [
      `${dest}/snap2.qcow2`,
      `${dest}/snap1.qcow2`,
      `${dest}/base.qcow2`,
    ]);
    if (pivot === "manual") {
      const ready = await waitMove(lab.engine, started.id, ["ready"]);
      assert(ready.disks[0].layers.slice(1).every((l) => l.state === "copied"));
      assertEquals(ready.disks[0].job?.phase, "ready");
      // Still on the old chain until Switch.
      assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, old[0]);
      await lab.engine.pivot(started.id);
    }
    const done = await waitMove(lab.engine, started.id, ["done"]);
    assertEquals(done.bytesDone, done.bytesTotal);
    assert(done.finishedAt !== null);
    const live = await xmlDisk(dom.uuid, "vda");
    assertEquals(live.chain.map((l) => [l.path, l.format]), [
      [`${dest}/snap2.qcow2`, "qcow2"],
      [`${dest}/snap1.qcow2`, "qcow2"],
      [`${dest}/base.qcow2`, "qcow2"],
    ]);
    assertEquals((await xmlDisk(dom.uuid, "vda", true)).chain[0].path, `${dest}/snap2.qcow2`);
    const info = await backingChainInfo(`${dest}/snap2.qcow2`);
    assertEquals(info.map((i) => i.filename), [
      `${dest}/snap2.qcow2`,
      `${dest}/snap1.qcow2`,
      `${dest}/base.qcow2`,
    ]);
    assertEquals(info.map((i) => i["backing-filename"]), ["snap1.qcow2", "base.qcow2", undefined]);
    // The guest wrote nothing: the old chain and the new one read the same.
    assert(await sameGuestView(old[0], `${dest}/snap2.qcow2`));
    assertEquals(await fingerprints(old), before);
    // Never paused by the move.
    assertEquals((await labVirsh("domstate", "--domain", dom.uuid)).stdout.trim(), "running");
  });
}
