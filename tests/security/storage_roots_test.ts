/** Default storage roots: never a backing file's directory (captured virsh output + a fake runner). */
import { assertEquals } from "@std/assert";
import {
  describeStorageRoots,
  discoverStorageRoots,
  layersFromDomstats,
  LIBVIRT_IMAGES_DIR,
  storageRootsFrom,
} from "../../server/security/storage_roots.ts";
import { parseDomstats } from "../../server/virsh/parse/domstats.ts";
import { parsePoolXml } from "../../server/virsh/parse/storage_pool.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { fixture } from "../jobs/fixtures.ts";

const I = "/var/lib/libvirt/images";

Deno.test("layersFromDomstats: the first layer of each disk is active, the rest are backing files", () => {
  const layers = layersFromDomstats(parseDomstats(fixture("domstats-all.txt")));
  assertEquals(layers.activeLayers, [
    "/dev/bbfix-nonexistent",
    `${I}/bbt/snap2.qcow2`,
    `${I}/bbt/data.raw`,
    `${I}/bbfix/snap2.qcow2`,
    `${I}/bbfix/data.raw`,
  ]);
  assertEquals(layers.otherLayers, [
    `${I}/bbt/snap1.qcow2`,
    `${I}/bbt/base.qcow2`,
    `${I}/bbfix/snap1.qcow2`,
    `${I}/bbfix/base.qcow2`,
  ]);
});

Deno.test("parsePoolXml: a captured dir pool's target directory", () => {
  assertEquals(parsePoolXml(fixture("pool-dumpxml-dir.xml")), {
    name: "bbfix-pool-dir",
    type: "dir",
    path: "/var/tmp/bbfix-pool",
    isDirectory: true,
  });
});

Deno.test("storageRootsFrom: libvirt's directory, pools and active disks; backing directories are not roots", () => {
  const found = storageRootsFrom({
    poolDirs: ["/srv/pool"],
    activeLayers: ["/srv/vm/top.qcow2", `${I}/a/vda.qcow2`, "/dev/sdb", "relative.img"],
    otherLayers: ["/etc/shadow", "/srv/backing/base.qcow2", "/srv/vm/old.qcow2", `${I}/b/x.qcow2`],
  });
  assertEquals(found.roots, [LIBVIRT_IMAGES_DIR, "/srv/pool", "/srv/vm"]);
  assertEquals(found.notRoots, ["/etc", "/srv/backing"]);
});

Deno.test("discoverStorageRoots: pools by UUID, one bulk domstats; a backing dir is only reported", async () => {
  const poolXml = fixture("pool-dumpxml-dir.xml");
  const domstats = fixture("domstats-all.txt").replace(
    `${I}/bbfix/base.qcow2`,
    "/etc/shadow",
  );
  const runner = new FakeRunner((args) => {
    if (args[0] === "pool-list") return fixture("pool-list-uuid.txt");
    if (args[0] === "pool-dumpxml") return poolXml;
    if (args[0] === "domstats") return domstats;
    return { error: "unexpected" };
  });
  const found = await discoverStorageRoots(runner);
  assertEquals(runner.calls, [
    ["pool-list", "--all", "--uuid"],
    ["pool-dumpxml", "--pool", "184237de-d42e-4191-9316-338f080d43e1"],
    ["domstats", "--block", "--backing"],
  ]);
  assertEquals(found, { roots: [I, "/var/tmp/bbfix-pool"], notRoots: ["/etc"], problems: [] });
  const log = describeStorageRoots(found).join("\n");
  assertEquals(log.includes("not a storage root: /etc"), true);
  assertEquals(log.includes("--storage-root /etc"), true);
});

Deno.test("discoverStorageRoots: libvirt down leaves libvirt's directory and says why", async () => {
  const runner = new FakeRunner(() => ({ fail: "unreachable" }));
  const found = await discoverStorageRoots(runner);
  assertEquals(found.roots, [I]);
  assertEquals(found.problems.length, 2);
});
