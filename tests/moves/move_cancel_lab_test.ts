/**
 * Cancel and failure: the domain stays on its old chain, running, and only the files the move
 * created are removed (the destination directory it made included).
 */
import { assert, assertEquals, assertMatch } from "../std_assert.ts";
import { createLabDomain, labDiskOnlySnapshot, labVirsh, uniqueName, waitFor } from "../lab/lab.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { fingerprints, moveLab, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const KiB = 1024;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function domState(uuid: string): Promise<string> {
  return (await labVirsh("domstate", "--domain", uuid)).stdout.trim();
}

Deno.test("cancel while a layer is being copied", opts, async () => {
  await using lab = await moveLab();
  // 8 MiB of data in the base at 1 MiB/s (qemu-img's rate limit lets the first 2 MiB through).
  await using dom = await createLabDomain({ name: uniqueName("bbmv-"), persistent: true });
  const before = await fingerprints(dom.disks[0].chain);
  const dest = `${lab.destRoot}/cancel-copy`;
  const move = await lab.engine.start(dom.uuid, { destDir: dest, bandwidthBytes: 1024 * KiB });
  await waitFor("a layer copy in progress", () => {
    const m = lab.engine.get(move.id)!;
    const base = m.disks[0].layers[2];
    return Promise.resolve(base.state === "copying" && base.doneBytes > 0 ? m : null);
  }, { timeoutMs: 30_000, intervalMs: 50 });
  const canceled = await lab.engine.cancel(move.id);
  assertEquals(canceled.state, "canceled");
  assertMatch(canceled.message ?? "", /old chain/);
  assertEquals(await exists(dest), false);
  assertEquals(await domState(dom.uuid), "running");
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path), dom.disks[0].chain);
  assertEquals(await fingerprints(dom.disks[0].chain), before);
});

Deno.test("cancel while mirroring, and cancel when ready", opts, async () => {
  await using lab = await moveLab();
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    disks: [{ target: "vda", layers: 1, sizeMiB: 16 }],
  });
  const dest = `${lab.destRoot}/cancel-mirror`;
  await Deno.mkdir(dest, { mode: 0o755 });
  const move = await lab.engine.start(dom.uuid, { destDir: dest, bandwidthBytes: 512 * KiB });
  await waitMove(lab.engine, move.id, ["mirroring"]);
  // The bandwidth budget's knob: the running mirror gets the new limit at once.
  const throttled = await lab.engine.setBandwidth(move.id, 1024 * KiB);
  assertEquals(throttled.bandwidthBytes, 1024 * KiB);
  const info = await labVirsh("blockjob", dom.uuid, "vda", "--info", "--raw", "--bytes");
  assertMatch(info.stdout, /bandwidth=1048576/);
  const canceled = await lab.engine.cancel(move.id);
  assertEquals(canceled.state, "canceled");
  assertEquals(canceled.disks[0].job?.phase, "aborted");
  // The destination existed before: kept, but emptied of what the move made.
  assertEquals([...Deno.readDirSync(dest)].length, 0);
  assertEquals((await xmlDisk(dom.uuid, "vda")).mirror, null);
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, dom.disks[0].chain[0]);
  assertEquals(await domState(dom.uuid), "running");

  const again = await lab.engine.start(dom.uuid, { destDir: dest, pivot: "manual" });
  await waitMove(lab.engine, again.id, ["ready"]);
  const canceledReady = await lab.engine.cancel(again.id);
  assertEquals(canceledReady.state, "canceled");
  assertEquals([...Deno.readDirSync(dest)].length, 0);
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, dom.disks[0].chain[0]);
});

Deno.test("the domain stopping during the mirror fails the move", opts, async () => {
  await using lab = await moveLab();
  await using dom = await createLabDomain({
    name: uniqueName("bbmv-"),
    persistent: true,
    disks: [{ target: "vda", layers: 2, sizeMiB: 16 }],
  });
  const dest = `${lab.destRoot}/stops`;
  const move = await lab.engine.start(dom.uuid, { destDir: dest, bandwidthBytes: 256 * KiB });
  await waitMove(lab.engine, move.id, ["mirroring"], 60_000);
  assertEquals((await labVirsh("destroy", "--domain", dom.uuid)).code, 0);
  const failed = await waitMove(lab.engine, move.id, ["failed"]);
  assertMatch(failed.message ?? "", /domain stopped|not running|shut off/);
  assertEquals(await exists(dest), false);
  assertEquals((await xmlDisk(dom.uuid, "vda", true)).chain[0].path, dom.disks[0].chain[0]);
});

Deno.test("a destination on a small tmpfs that fills up fails the move cleanly", opts, async () => {
  await using lab = await moveLab();
  await using dom = await createLabDomain({ name: uniqueName("bbmv-"), persistent: true });
  const mount = `${lab.destRoot}/small`;
  await Deno.mkdir(mount, { mode: 0o755 });
  const m = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", mount],
  }).output();
  assertEquals(m.code, 0, new TextDecoder().decode(m.stderr));
  try {
    const before = await fingerprints(dom.disks[0].chain);
    const move = await lab.engine.start(dom.uuid, { destDir: `${mount}/dest` });
    const failed = await waitMove(lab.engine, move.id, ["failed"]);
    assertMatch(failed.message ?? "", /full|No space left/);
    assertEquals([...Deno.readDirSync(mount)].length, 0);
    assertEquals(await domState(dom.uuid), "running");
    assertEquals((await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path), dom.disks[0].chain);
    assertEquals(await fingerprints(dom.disks[0].chain), before);
    assert(failed.finishedAt !== null);
  } finally {
    await new Deno.Command("umount", { args: [mount] }).output();
  }
});

Deno.test(
  "a chain changed during the layer copies stops the move before the mirror",
  opts,
  async () => {
    await using lab = await moveLab();
    await using dom = await createLabDomain({ name: uniqueName("bbmv-"), persistent: true });
    const dest = `${lab.destRoot}/changed`;
    const move = await lab.engine.start(dom.uuid, { destDir: dest, bandwidthBytes: 1024 * KiB });
    await waitFor("the base copy", () => {
      const base = lab.engine.get(move.id)!.disks[0].layers[2];
      return Promise.resolve(base.state === "copying");
    }, { timeoutMs: 30_000, intervalMs: 20 });
    // Someone takes a disk-only snapshot with plain virsh meanwhile: a new top.
    const extra = `${dom.dir}/vda/extra.qcow2`;
    assertEquals((await labDiskOnlySnapshot(dom.uuid, "vda", extra)).code, 0);
    const failed = await waitMove(lab.engine, move.id, ["failed"], 60_000);
    assertMatch(failed.message ?? "", /chain of vda changed/);
    assertEquals(failed.disks[0].job, null);
    assertEquals(await exists(dest), false);
    assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, extra);
  },
);
