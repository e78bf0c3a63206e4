/** `buildDiskLayers` on real qemu-img/qemu-io in a temporary directory (no domain needed). */
import { assertEquals, assertRejects } from "@std/assert";
import { buildDiskLayers } from "./lab.ts";
import { exec, qemuImg, qemuIo } from "./exec.ts";
import { qemuIoRead } from "./layers.ts";

async function backingOf(path: string): Promise<string | undefined> {
  const r = await qemuImg("info", "-U", "-f", "qcow2", "--output=json", "--", path);
  return JSON.parse(r.stdout)["backing-filename"];
}

Deno.test("buildDiskLayers: a chain with data, relative names, over a shared base, through the given exec", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bbrv-layers-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    const ran: string[] = [];
    const a = await buildDiskLayers(`${dir}/a`, 0, { target: "vda", layers: 2, sizeMiB: 16 }, {
      exec: (binary, args) => {
        ran.push(binary);
        return exec(binary, args);
      },
    });
    assertEquals(a.chain, [`${dir}/a/snap1.qcow2`, `${dir}/a/base.qcow2`]);
    assertEquals(ran, ["qemu-img", "qemu-io", "qemu-img", "qemu-io"]);
    assertEquals(await backingOf(a.chain[0]), a.chain[1]);
    for (const [i, path] of a.chain.entries()) {
      for (const w of a.writes[i]) {
        const r = await qemuIo("-r", "-U", "-f", "qcow2", "-c", qemuIoRead(w), path);
        assertEquals(r.code, 0, r.stdout);
      }
    }

    await Deno.mkdir(`${dir}/b`);
    const b = await buildDiskLayers(`${dir}/b`, 1, {
      target: "vdb",
      layers: 2,
      sizeMiB: 16,
      relativeBacking: true,
      sharedBacking: a.chain[0],
    }, { fill: false });
    assertEquals(b.writes, [[], []]);
    assertEquals(await backingOf(b.chain[1]), a.chain[0]);
    assertEquals(await backingOf(b.chain[0]), "base.qcow2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildDiskLayers: refuses a layered or backed raw disk and names a failing command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bbrv-layers-" });
  try {
    await assertRejects(
      () => buildDiskLayers(dir, 0, { target: "vda", format: "raw", layers: 2 }),
      Error,
      "cannot have 2 layers",
    );
    await assertRejects(
      () => buildDiskLayers(`${dir}/missing`, 0, { target: "vda", sizeMiB: 1 }),
      Error,
      "qemu-img create -q -f qcow2",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
