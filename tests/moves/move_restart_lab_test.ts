/**
 * A restart of blockboard in the middle of a move: a second engine (and monitor) over the same
 * database file and the same running VM picks the move up. Verified layer copies are kept, the
 * copy cut short is made again; a mirror libvirt still runs is adopted.
 */
import { assert, assertEquals } from "../std_assert.ts";
import { openDatabase } from "../../server/db.ts";
import { SqliteMoveStore } from "../../server/moves/store.ts";
import { createLabDomain, labVirsh, uniqueName, waitFor } from "../lab/lab.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { fingerprints, moveLab, sameGuestView, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const KiB = 1024;

Deno.test("restart in the middle of a layer copy", opts, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bbmv-db-" });
  const db1 = openDatabase(dataDir);
  await using lab = await moveLab({ store: new SqliteMoveStore(db1) });
  await using dom = await createLabDomain({ name: uniqueName("bbmv-"), persistent: true });
  const before = await fingerprints(dom.disks[0].chain);
  const dest = `${lab.destRoot}/restart-copy`;
  const move = await lab.engine.start(dom.uuid, {
    destDir: dest,
    bandwidthBytes: 1024 * KiB,
    pivot: "auto",
  });
  await waitFor("the second layer's copy", () => {
    const layers = lab.engine.get(move.id)!.disks[0].layers;
    return Promise.resolve(layers[2].state === "copied" && layers[1].state === "copying");
  }, { timeoutMs: 60_000, intervalMs: 20 });
  const baseIno = (await Deno.stat(`${dest}/base.qcow2`)).ino;
  await lab.engine.detach(); // blockboard stops: the copy in flight dies with it
  db1.close();

  const db2 = openDatabase(dataDir);
  const store = new SqliteMoveStore(db2);
  assertEquals(store.list()[0].move.state, "copying");
  const { engine } = await lab.restart({ store });
  assertEquals(engine.get(move.id)?.state, "copying");
  await engine.resume();
  const done = await waitMove(engine, move.id, ["done"]);
  assertEquals(done.bytesDone, done.bytesTotal);
  // The verified base copy was kept (compared again, not copied again).
  assertEquals((await Deno.stat(`${dest}/base.qcow2`)).ino, baseIno);
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path), [
    `${dest}/snap2.qcow2`,
    `${dest}/snap1.qcow2`,
    `${dest}/base.qcow2`,
  ]);
  assert(await sameGuestView(dom.disks[0].chain[0], `${dest}/snap2.qcow2`));
  assertEquals(await fingerprints(dom.disks[0].chain), before);
  db2.close();
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("restart in the middle of the mirror adopts it", opts, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bbmv-db-" });
  const db1 = openDatabase(dataDir);
  await using lab = await moveLab({ store: new SqliteMoveStore(db1) });
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    disks: [{ target: "vda", layers: 2, sizeMiB: 32 }],
  });
  const dest = `${lab.destRoot}/restart-mirror`;
  const move = await lab.engine.start(dom.uuid, {
    destDir: dest,
    bandwidthBytes: 512 * KiB,
    pivot: "auto",
  });
  await waitMove(lab.engine, move.id, ["mirroring"], 60_000);
  const top = `${dest}/snap1.qcow2`;
  await lab.engine.detach();
  await lab.monitor.stop();
  db1.close();
  // libvirt still mirrors into the new top.
  assertEquals((await xmlDisk(dom.uuid, "vda")).mirror?.path, top);

  const db2 = openDatabase(dataDir);
  const { engine } = await lab.restart({ store: new SqliteMoveStore(db2) });
  await engine.resume();
  // Finish faster now that the adoption is proven.
  assertEquals((await labVirsh("blockjob", dom.uuid, "vda", "--bandwidth", "0")).code, 0);
  const done = await waitMove(engine, move.id, ["done"]);
  assertEquals(done.disks[0].job?.phase, "pivoted");
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path), [
    top,
    `${dest}/base.qcow2`,
  ]);
  assert(await sameGuestView(dom.disks[0].chain[0], top));
  db2.close();
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("after a restart a mirroring move can be canceled", opts, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bbmv-db-" });
  const db1 = openDatabase(dataDir);
  await using lab = await moveLab({ store: new SqliteMoveStore(db1) });
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    disks: [{ target: "vda", layers: 2, sizeMiB: 32 }],
  });
  const dest = `${lab.destRoot}/restart-cancel`;
  const move = await lab.engine.start(dom.uuid, { destDir: dest, bandwidthBytes: 256 * KiB });
  await waitMove(lab.engine, move.id, ["mirroring"], 60_000);
  await lab.engine.detach();
  await lab.monitor.stop();
  db1.close();

  const db2 = openDatabase(dataDir);
  const { engine } = await lab.restart({ store: new SqliteMoveStore(db2) });
  await engine.resume();
  const canceled = await engine.cancel(move.id);
  assertEquals(canceled.state, "canceled");
  assertEquals((await xmlDisk(dom.uuid, "vda")).mirror, null);
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, dom.disks[0].chain[0]);
  let destExists = true;
  await Deno.lstat(dest).catch(() => destExists = false);
  assertEquals(destExists, false);
  db2.close();
  await Deno.remove(dataDir, { recursive: true });
});
