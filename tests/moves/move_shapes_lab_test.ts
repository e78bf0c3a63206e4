/**
 * Live moves of other chain shapes: a raw base under qcow2 overlays, two disks moved together
 * (their layers share names: per-disk subfolders), and a base shared with another domain.
 */
import { assert, assertEquals } from "../std_assert.ts";
import { createLabDomain, labDiskOnlySnapshot, labVirsh, qemuImg, uniqueName } from "../lab/lab.ts";
import { labDomainXml } from "../lab/domain_xml.ts";
import { currentOwner } from "../lab/owner.ts";
import { removeDomainByUuid } from "../lab/teardown.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { backingChainInfo, fingerprints, moveLab, sameGuestView, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("live move of a raw base under two qcow2 overlays", opts, async () => {
  await using lab = await moveLab();
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    disks: [{ target: "vda", format: "raw", sizeMiB: 32 }],
  });
  const base = dom.disks[0].chain[0];
  for (const name of ["over1.qcow2", "over2.qcow2"]) {
    const r = await labDiskOnlySnapshot(dom.uuid, "vda", `${dom.dir}/vda/${name}`);
    assertEquals(r.code, 0, r.stderr);
  }
  const old = (await xmlDisk(dom.uuid, "vda")).chain;
  assertEquals(old.map((l) => l.format), ["qcow2", "qcow2", "raw"]);
  const before = await fingerprints([base]);
  const dest = `${lab.destRoot}/raw`;
  const move = await lab.engine.start(dom.name === "" ? dom.uuid : dom.uuid, {
    destDir: dest,
    pivot: "auto",
  });
  await waitMove(lab.engine, move.id, ["done"]);
  const live = await xmlDisk(dom.uuid, "vda");
  assertEquals(live.chain.map((l) => [l.path, l.format]), [
    [`${dest}/over2.qcow2`, "qcow2"],
    [`${dest}/over1.qcow2`, "qcow2"],
    [`${dest}/disk.raw`, "raw"],
  ]);
  const info = await backingChainInfo(`${dest}/over2.qcow2`);
  assertEquals(info.map((i) => [i["backing-filename"], i["backing-filename-format"]]), [
    ["over1.qcow2", "qcow2"],
    ["disk.raw", "raw"],
    [undefined, undefined],
  ]);
  assert(await sameGuestView(old[0].path, `${dest}/over2.qcow2`));
  assertEquals(await fingerprints([base]), before);
});

Deno.test("two disks moved together land in per-disk subfolders", opts, async () => {
  await using lab = await moveLab();
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    disks: [{ target: "vda", layers: 3, sizeMiB: 32 }, { target: "vdb", layers: 2, sizeMiB: 32 }],
  });
  const before = await fingerprints(dom.disks.flatMap((d) => d.chain));
  const dest = `${lab.destRoot}/two`;
  const plan = await lab.engine.plan(dom.uuid, { destDir: dest });
  assertEquals(plan.disks.map((d) => d.dir), [`${dest}/vda`, `${dest}/vdb`]);
  const move = await lab.engine.start(dom.uuid, { destDir: dest, pivot: "manual" });
  const ready = await waitMove(lab.engine, move.id, ["ready"]);
  assertEquals(ready.disks.map((d) => d.job?.phase), ["ready", "ready"]);
  await lab.engine.pivot(move.id);
  const done = await waitMove(lab.engine, move.id, ["done"]);
  assertEquals(done.bytesDone, done.bytesTotal);
  for (const [i, disk] of dom.disks.entries()) {
    const live = await xmlDisk(dom.uuid, disk.target);
    assertEquals(
      live.chain.map((l) => l.path),
      disk.chain.map((p) => `${dest}/${disk.target}/${p.slice(p.lastIndexOf("/") + 1)}`),
    );
    assert(await sameGuestView(dom.disks[i].chain[0], live.chain[0].path));
  }
  assertEquals(await fingerprints(dom.disks.flatMap((d) => d.chain)), before);
});

Deno.test(
  "a base shared with another domain is copied, the other keeps the old base",
  opts,
  async () => {
    await using lab = await moveLab();
    await using dom = await createLabDomain({ name: uniqueName("bbmv-"), persistent: true });
    const base = dom.disks[0].chain[2];
    // A second domain on its own overlay over the same base.
    const otherUuid = crypto.randomUUID();
    const otherDir = `${lab.destRoot}/other`;
    await Deno.mkdir(otherDir, { mode: 0o755 });
    const otherTop = `${otherDir}/top.qcow2`;
    assertEquals(
      (await qemuImg("create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", otherTop)).code,
      0,
    );
    const xmlPath = `${otherDir}/domain.xml`;
    await Deno.writeTextFile(
      xmlPath,
      labDomainXml({
        name: uniqueName("bbmv-other-"),
        uuid: otherUuid,
        owner: currentOwner("test", otherDir),
        disks: [{ target: "vda", format: "qcow2", source: otherTop }],
      }),
    );
    assertEquals((await labVirsh("create", "--file", xmlPath)).code, 0);
    try {
      const before = await fingerprints([base]);
      const dest = `${lab.destRoot}/shared`;
      const move = await lab.engine.start(dom.uuid, { destDir: dest, pivot: "auto" });
      await waitMove(lab.engine, move.id, ["done"]);
      assertEquals((await xmlDisk(dom.uuid, "vda")).chain[2].path, `${dest}/base.qcow2`);
      assertEquals((await xmlDisk(otherUuid, "vda")).chain.map((l) => l.path), [otherTop, base]);
      assertEquals(await fingerprints([base]), before);
      assert(await sameGuestView(base, `${dest}/base.qcow2`));
    } finally {
      await removeDomainByUuid(otherUuid);
    }
  },
);
