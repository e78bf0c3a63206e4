/**
 * Lab: the default storage roots computed from the real host (pools, one bulk domstats) contain
 * the directory of a domain's active layer and of a storage pool, but never the directory of a
 * backing file, which is only reported as "not a storage root".
 */
import { assert, assertEquals } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { isInside } from "../../server/security/destinations.ts";
import {
  describeStorageRoots,
  discoverStorageRoots,
  LIBVIRT_IMAGES_DIR,
} from "../../server/security/storage_roots.ts";
import {
  createLabDomain,
  LAB_URI,
  labRebaseHeader,
  labVirsh,
  uniqueName,
  waitFor,
} from "../lab/lab.ts";
import { outsideDir } from "./lab_app.ts";

Deno.test({
  name:
    "lab: default storage roots include active layers' and pools' directories, never a backing file's",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using active = await outsideDir();
    await using backing = await outsideDir();
    await using poolDir = await outsideDir();
    // Declared after the directories, so it is removed before them.
    await using dom = await createLabDomain({
      name: uniqueName("bbsec-roots-"),
      persistent: true,
      running: false,
      disks: [{ target: "vda", layers: 2 }],
    });
    await Deno.chmod(poolDir.path, 0o755);
    const [top, base] = dom.disks[0].chain;

    // The disk runs on active/top.qcow2, backed by backing/base.qcow2.
    await Deno.rename(base, `${backing.path}/base.qcow2`);
    await Deno.rename(top, `${active.path}/top.qcow2`);
    await labRebaseHeader(`${active.path}/top.qcow2`, `${backing.path}/base.qcow2`);
    const xml = (await Deno.readTextFile(`${dom.dir}/domain.xml`)).replace(
      `'${top}'`,
      `'${active.path}/top.qcow2'`,
    );
    await Deno.writeTextFile(`${dom.dir}/domain-moved.xml`, xml);
    for (
      const args of [["define", "--file", `${dom.dir}/domain-moved.xml`], [
        "start",
        "--domain",
        dom.uuid,
      ]]
    ) {
      const r = await labVirsh(...args);
      assertEquals(r.code, 0, r.stderr);
    }
    await waitFor(
      "the domain to run",
      async () => (await labVirsh("domstate", "--domain", dom.uuid)).stdout.trim() === "running",
    );

    const pool = uniqueName("bbsec-pool-");
    const made = await labVirsh(
      "pool-create-as",
      "--name",
      pool,
      "--type",
      "dir",
      "--target",
      poolDir.path,
    );
    assertEquals(made.code, 0, made.stderr);
    try {
      const found = await discoverStorageRoots(new SpawnRunner({ uri: LAB_URI }));
      assertEquals(found.problems, []);
      for (const dir of [LIBVIRT_IMAGES_DIR, active.path, poolDir.path]) {
        assert(found.roots.includes(dir), `${dir} is a root: ${found.roots.join(", ")}`);
      }
      assert(
        !found.roots.some((root) => isInside(backing.path, root)),
        `the backing file's directory is not under any root: ${found.roots.join(", ")}`,
      );
      assert(found.notRoots.includes(backing.path), found.notRoots.join(", "));
      assert(
        describeStorageRoots(found).some((l) =>
          l.includes(`not a storage root: ${backing.path}`) &&
          l.includes(`--storage-root ${backing.path}`)
        ),
      );
    } finally {
      await labVirsh("pool-destroy", "--pool", pool);
    }
  },
});
