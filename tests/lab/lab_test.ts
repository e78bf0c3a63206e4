/**
 * The lab itself: guests come up as asked, with the chains and data asked for, and leave nothing
 * behind when disposed, even when the test body throws.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  createLabDomain,
  LAB_ROOT,
  type LabDisk,
  type LabDomain,
  labVirsh,
  qemuImg,
  qemuIo,
  qemuIoRead,
  uniqueName,
} from "./lab.ts";
import { LAB_METADATA_URI } from "./domain_xml.ts";
import { removeLeftovers } from "./leftovers.ts";

interface ChainEntry {
  filename: string;
  format: string;
  "backing-filename"?: string;
  "backing-filename-format"?: string;
}

/** `qemu-img info --backing-chain` of a disk's top image (-U: the running guest holds the lock). */
async function chainOnDisk(disk: LabDisk): Promise<ChainEntry[]> {
  const r = await qemuImg(
    "info",
    "-U",
    "--backing-chain",
    "-f",
    disk.format,
    "--output=json",
    disk.chain[0],
  );
  assertEquals(r.code, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  return Array.isArray(parsed) ? parsed : [parsed];
}

async function state(dom: LabDomain): Promise<string> {
  const r = await labVirsh("domstate", "--domain", dom.uuid);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function persistentFlag(dom: LabDomain): Promise<string> {
  const r = await labVirsh("dominfo", "--domain", dom.uuid);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.match(/^Persistent:\s+(\S+)/m)?.[1] ?? "";
}

async function topSources(dom: LabDomain): Promise<Record<string, string>> {
  const r = await labVirsh("domblklist", "--domain", dom.uuid, "--details");
  assertEquals(r.code, 0, r.stderr);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] === "disk") out[f[2]] = f.slice(3).join(" ");
  }
  return out;
}

async function assertGone(uuid: string, dir: string): Promise<void> {
  const r = await labVirsh("domstate", "--domain", uuid);
  assert(r.code !== 0, `domain ${uuid} still exists: ${r.stdout}`);
  assertMatch(r.stderr, /Domain not found|failed to get domain/);
  let exists = true;
  try {
    await Deno.stat(dir);
  } catch (e) {
    exists = !(e instanceof Deno.errors.NotFound);
  }
  assert(!exists, `${dir} still exists`);
}

async function assertChainMatches(disk: LabDisk, layers: number): Promise<void> {
  assertEquals(disk.chain.length, layers);
  const onDisk = await chainOnDisk(disk);
  assertEquals(onDisk.map((e) => e.filename), disk.chain);
  for (const [i, entry] of onDisk.entries()) {
    assertEquals(entry.format, disk.format);
    if (i < onDisk.length - 1) {
      assertEquals(entry["backing-filename"], disk.chain[i + 1]);
      assertEquals(entry["backing-filename-format"], "qcow2");
    } else {
      assertEquals(entry["backing-filename"], undefined);
    }
  }
}

/** Every layer holds its own writes, read straight from that layer's file. */
async function assertLayerData(disk: LabDisk): Promise<void> {
  for (const [i, path] of disk.chain.entries()) {
    for (const w of disk.writes[i]) {
      const fmt = disk.format === "raw" ? "raw" : "qcow2";
      // Reading one layer alone: its backing file is irrelevant for its own writes.
      const r = await qemuIo("-r", "-U", "-f", fmt, "-c", qemuIoRead(w), path);
      assertEquals(r.code, 0, `${path}: ${r.stdout}${r.stderr}`);
    }
  }
}

Deno.test("lab: a transient running domain with a three-layer chain with data", async () => {
  let uuid = "";
  let dir = "";
  {
    await using dom = await createLabDomain();
    uuid = dom.uuid;
    dir = dom.dir;
    assertMatch(dom.name, /^bbt-[A-Za-z0-9_-]+$/);
    assert(dom.dir.startsWith(LAB_ROOT + "/"));
    assertEquals(dom.persistent, false);
    assertEquals(await state(dom), "running");
    assertEquals(await persistentFlag(dom), "no");
    const [vda] = dom.disks;
    assertEquals(vda.target, "vda");
    assertEquals(vda.format, "qcow2");
    assertEquals(vda.chain.map((p) => p.slice(p.lastIndexOf("/") + 1)), [
      "snap2.qcow2",
      "snap1.qcow2",
      "base.qcow2",
    ]);
    assertEquals(await topSources(dom), { vda: vda.chain[0] });
    await assertChainMatches(vda, 3);
    await assertLayerData(vda);
    // The guest sees the top layer's pattern at offset 0, the base's further in.
    const top = vda.writes[0].find((w) => w.offset === 0)!;
    const seen = await qemuIo("-r", "-U", "-f", "qcow2", "-c", qemuIoRead(top), vda.chain[0]);
    assertEquals(seen.code, 0, seen.stdout);
    assertEquals(vda.writes[2][0].length, 8 * 1024 * 1024);
    assertEquals(vda.writes[1][0].length, 4 * 1024 * 1024);
    assertEquals(vda.writes[0][0].length, 2 * 1024 * 1024);
  }
  await assertGone(uuid, dir);
});

Deno.test("lab: a persistent running domain with a hostile name, a qcow2 pair and a raw disk", async () => {
  const name = `<img src=x onerror=alert(1)> it's ${uniqueName("--pivot-")}`;
  const dom = await createLabDomain({
    name,
    persistent: true,
    disks: [{ target: "vda", layers: 2, sizeMiB: 32 }, {
      target: "vdb",
      format: "raw",
      sizeMiB: 16,
    }],
  });
  try {
    assertEquals(dom.name, name);
    assertEquals((await labVirsh("domname", "--domain", dom.uuid)).stdout.trim(), name);
    assertEquals(await state(dom), "running");
    assertEquals(await persistentFlag(dom), "yes");
    const [vda, vdb] = dom.disks;
    await assertChainMatches(vda, 2);
    await assertChainMatches(vdb, 1);
    assertEquals(vdb.format, "raw");
    assertEquals(await topSources(dom), { vda: vda.chain[0], vdb: vdb.chain[0] });
    await assertLayerData(vda);
    await assertLayerData(vdb);
    const meta = await labVirsh("metadata", "--domain", dom.uuid, "--uri", LAB_METADATA_URI);
    assertEquals(meta.code, 0, meta.stderr);
    assertMatch(meta.stdout, /role="test"/);
  } finally {
    await dom.destroy();
    await dom.destroy(); // idempotent
  }
  await assertGone(dom.uuid, dom.dir);
});

Deno.test("lab: a persistent shut-off domain stays off and is undefined on dispose", async () => {
  const dom = await createLabDomain({ persistent: true, running: false });
  try {
    assertEquals(await state(dom), "shut off");
    assertEquals(await persistentFlag(dom), "yes");
    await assertChainMatches(dom.disks[0], 3);
  } finally {
    await dom[Symbol.asyncDispose]();
  }
  await assertGone(dom.uuid, dom.dir);
});

Deno.test("lab: await using cleans up when the test body throws", async () => {
  let uuid = "";
  let dir = "";
  await assertRejects(
    async () => {
      await using dom = await createLabDomain({
        disks: [{ target: "vda", layers: 1, sizeMiB: 8 }],
      });
      uuid = dom.uuid;
      dir = dom.dir;
      throw new Error("test body failed");
    },
    Error,
    "test body failed",
  );
  assert(uuid !== "");
  await assertGone(uuid, dir);
});

Deno.test("lab: a failed create says why and leaves nothing behind", async () => {
  await using first = await createLabDomain({ disks: [{ target: "vda", layers: 1, sizeMiB: 8 }] });
  const before = new Set(Array.from(Deno.readDirSync(LAB_ROOT), (e) => e.name));
  const err = await assertRejects(() =>
    createLabDomain({ name: first.name, disks: [{ target: "vda", layers: 1, sizeMiB: 8 }] })
  );
  assertMatch(err.message, /already exists|already defined/);
  const leaked = Array.from(Deno.readDirSync(LAB_ROOT), (e) => e.name).filter((n) =>
    !before.has(n) && Deno.statSync(`${LAB_ROOT}/${n}`).isDirectory
  );
  // Only directories made by this process count: parallel runs may add their own.
  const mine = leaked.filter((n) => {
    try {
      return JSON.parse(Deno.readTextFileSync(`${LAB_ROOT}/${n}/owner.json`)).pid === Deno.pid;
    } catch {
      return false;
    }
  });
  assertEquals(mine, []);
  await assertRejects(() => createLabDomain({ running: false }), Error, "transient");
  await assertRejects(
    () => createLabDomain({ disks: [{ target: "sda; rm" }] }),
    Error,
    "bad lab disk target",
  );
});

Deno.test("lab: leftovers of a dead test run are removed, live ones kept", async () => {
  await using live = await createLabDomain({ disks: [{ target: "vda", layers: 1, sizeMiB: 8 }] });
  const dead = await createLabDomain({
    persistent: true,
    disks: [{ target: "vda", layers: 1, sizeMiB: 8 }],
  });
  try {
    // Pretend a process that no longer exists made it: same pid, impossible start time.
    const owner = JSON.parse(await Deno.readTextFile(`${dead.dir}/owner.json`));
    const fake = `<owner role="test" dir="${dead.dir}" pid="${owner.pid}" startTicks="-1" ` +
      `bootId="${owner.bootId}"/>`;
    for (const live of [false, true]) {
      const r = await labVirsh(
        "metadata",
        "--domain",
        dead.uuid,
        "--uri",
        LAB_METADATA_URI,
        "--key",
        "bblab",
        "--set",
        fake,
        live ? "--live" : "--config",
      );
      assertEquals(r.code, 0, r.stderr);
    }
    await Deno.writeTextFile(
      `${dead.dir}/owner.json`,
      JSON.stringify({ ...owner, startTicks: -1 }),
    );
    const lines: string[] = [];
    const removed = await removeLeftovers((l) => lines.push(l));
    assert(removed.domains >= 1, lines.join("\n"));
    await assertGone(dead.uuid, dead.dir);
    assertEquals(await state(live), "running");
  } finally {
    await dead.destroy();
  }
});
