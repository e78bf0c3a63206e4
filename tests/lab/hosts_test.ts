/**
 * The namespaced lab hosts themselves: names and addresses (pure), and for real: two hosts up,
 * each answering on its own address only, reaching each other (what migration needs), a guest
 * whose files are under the host's own images directory, and a crashed run's namespace cleaned.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { labHostAddressing, labLibvirtdConf, startLabHost } from "./hosts.ts";
import { labHostsOfSet } from "./hosts_up.ts";
import { exec } from "./exec.ts";

Deno.test("lab host names and addresses; bad ones refused", () => {
  assertEquals(labHostAddressing({ name: "bbh3", number: 3 }), {
    name: "bbh3",
    number: 3,
    address: "10.77.3.2",
    gateway: "10.77.3.1",
    veth: "bbh3-h",
    uri: "qemu+tcp://10.77.3.2/system",
    stateDir: "/var/lib/blockboard-lab-hosts/bbh3",
  });
  for (
    const bad of [
      { name: "BBH", number: 1 },
      { name: "bbh-1", number: 1 },
      {
        name: "averyveryverylongname",
        number: 1,
      },
      { name: "bbh1", number: 0 },
      { name: "bbh1", number: 255 },
    ]
  ) {
    assertThrows(() => labHostAddressing(bad), RangeError);
  }
  assertEquals(labHostsOfSet(2, { prefix: "bbm", firstNumber: 10 }).map((h) => h.uri), [
    "qemu+tcp://10.77.10.2/system",
    "qemu+tcp://10.77.11.2/system",
  ]);
  const conf = labLibvirtdConf("10.77.3.2");
  for (const line of ["listen_tls = 0", "listen_tcp = 1", 'auth_tcp = "none"']) {
    assert(conf.includes(line), line);
  }
  assertMatch(conf, /^listen_addr = "10\.77\.3\.2"$/m);
});

Deno.test({
  name: "two lab hosts: own address only, reach each other, guests in their own images dir",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // A crashed run's leftovers (a namespace and state folder of the same name) are cleaned.
    await exec("ip", ["netns", "add", "bbh9"]);
    await Deno.mkdir("/var/lib/blockboard-lab-hosts/bbh9/lib", { recursive: true });
    await using a = await startLabHost({ name: "bbh9", number: 9 });
    await using b = await startLabHost({ name: "bbh3", number: 3 });
    assertEquals((await a.virsh("uri")).stdout.trim(), a.uri);
    // From inside a: b answers (forwarding between the namespaces).
    const across = await a.exec("virsh", ["-c", b.uri, "uri"]);
    assertEquals(across.code, 0, across.stderr);
    // libvirtd listens on its veth address only.
    const listening = await a.exec("ss", ["-ltnH"]);
    assertMatch(listening.stdout, /10\.77\.9\.2:16509/);
    assert(!/(0\.0\.0\.0|\*|\[::\]):16509/.test(listening.stdout), listening.stdout);
    await using dom = await a.createDomain({ disks: [{ target: "vda", layers: 2 }] });
    assert(dom.dir.startsWith("/var/lib/libvirt/images/"));
    const top = a.localPath(dom.disks[0].chain[0]);
    assert((await Deno.stat(top)).isFile, top);
    assertEquals((await b.virsh("domstate", "--domain", dom.uuid)).code, 1, "not on b");
    const info = await a.exec("qemu-img", ["info", "-U", "-f", "qcow2", dom.disks[0].chain[0]]);
    assertMatch(info.stdout, /backing file: \/var\/lib\/libvirt\/images\/blockboard-lab\//);
    await a.stop();
    assertEquals((await exec("ip", ["netns", "pids", "bbh9"])).code !== 0, true);
    await assertGone("/var/lib/blockboard-lab-hosts/bbh9");
  },
});

async function assertGone(path: string) {
  try {
    await Deno.stat(path);
    throw new Error(`${path} still exists`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
