import { assertEquals, assertThrows } from "@std/assert";
import { parseDomstats } from "../../server/virsh/parse/domstats.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url));

const I = "/var/lib/libvirt/images/bbfix";

Deno.test("domstats of all domains: names, states, layers (captured)", async () => {
  const stats = parseDomstats(await fixture("domstats-all.txt"));
  assertEquals(stats.map((s) => s.name), [
    "bbfix-net",
    "bbt-1",
    "bbfix-<img src=x onerror=alert(1)>",
    "12",
    "bbfix a b",
    "--pivot",
    "bbfix-vm1",
    "bbfix-it's",
  ]);
  const vm1 = stats.find((s) => s.name === "bbfix-vm1")!;
  assertEquals(vm1.state, 1);
  assertEquals(vm1.reason, 1);
  assertEquals(vm1.blocks.map((b) => [b.slot, b.name, b.path, b.backingIndex]), [
    [0, "vda", `${I}/snap2.qcow2`, 3],
    [1, "vda", `${I}/snap1.qcow2`, 4],
    [2, "vda", `${I}/base.qcow2`, 5],
    [3, "vdb", `${I}/data.raw`, 2],
    [4, "hdc", null, null],
  ]);
  assertEquals(vm1.blocks[0], {
    slot: 0,
    name: "vda",
    path: `${I}/snap2.qcow2`,
    backingIndex: 3,
    allocation: 0,
    capacity: 67108864,
    physical: 8658944,
  });
  assertEquals(vm1.blocks[4].capacity, null);
  // shut off: state 5, only name/path, none for the network disk
  const net = stats.find((s) => s.name === "bbfix-net")!;
  assertEquals(net.state, 5);
  assertEquals(net.blocks, [
    {
      slot: 0,
      name: "vda",
      path: null,
      backingIndex: null,
      allocation: null,
      capacity: null,
      physical: null,
    },
    {
      slot: 1,
      name: "vdb",
      path: "/dev/bbfix-nonexistent",
      backingIndex: null,
      allocation: null,
      capacity: null,
      physical: null,
    },
  ]);
  assertEquals(stats.find((s) => s.name === "12")?.blocks, []);
});

Deno.test("domstats during a copy lists the mirror as a vda layer (captured)", async () => {
  const [vm1] = parseDomstats(await fixture("domstats-copy.txt"));
  const vda = vm1.blocks.filter((b) => b.name === "vda");
  assertEquals(vda.map((b) => b.path), [
    `${I}/snap2.qcow2`,
    `${I}/snap1.qcow2`,
    `${I}/base.qcow2`,
    `${I}/copy.qcow2`,
  ]);
  assertEquals(vda[3].backingIndex, 6);
  assertEquals(vda[3].allocation, 17104896);
});

Deno.test("domstats during an active commit (captured)", async () => {
  const [vm1] = parseDomstats(await fixture("domstats-active-commit.txt"));
  assertEquals(vm1.name, "bbfix-vm1");
  assertEquals(
    vm1.blocks.filter((b) => b.name === "vda").map((b) => b.backingIndex),
    [3, 5],
  );
});

Deno.test("domstats with quotes and markup in names (captured)", async () => {
  const text = await fixture("domstats-odd-names-running.txt");
  const stats = parseDomstats(text);
  assertEquals(stats.map((s) => [s.name, s.state]), [
    ["bbfix-it's", 1],
    ["bbfix-<img src=x onerror=alert(1)>", 1],
  ]);
  const known = ["bbfix-it's", "bbfix-<img src=x onerror=alert(1)>"];
  assertEquals(parseDomstats(text, known).map((s) => s.name), known);
});

Deno.test("domstats names: first-to-last quote, knownNames rescue trailing noise", () => {
  const out = "Domain: 'a 'quoted' b'\n  state.state=1\n\nDomain: 'x''\n  state.state=3\n";
  assertEquals(parseDomstats(out).map((s) => s.name), ["a 'quoted' b", "x'"]);
  assertEquals(parseDomstats("Domain: 'vm1' \r\n").map((s) => s.name), ["vm1"]);
  const noisy = "Domain: 'vm1' junk'\n";
  assertEquals(parseDomstats(noisy)[0].name, "vm1' junk");
  assertEquals(parseDomstats(noisy, ["vm", "vm1", "other"])[0].name, "vm1");
  // a known name that matches exactly is taken as is
  assertEquals(parseDomstats(noisy, ["vm1' junk", "vm1"])[0].name, "vm1' junk");
});

Deno.test("domstats: paths with '=', sparse slots, non-numbers", () => {
  const out = [
    "Domain: 'vm'",
    "  state.state=1",
    "  block.count=2",
    "  block.1.name=vdb",
    "  block.1.path=/images/a=b.qcow2",
    "  block.1.capacity=abc",
    "  block.0.name=vda",
    "",
  ].join("\n");
  const [vm] = parseDomstats(out);
  assertEquals(vm.reason, null);
  assertEquals(vm.blocks.map((b) => [b.slot, b.name, b.path, b.capacity]), [
    [0, "vda", null, null],
    [1, "vdb", "/images/a=b.qcow2", null],
  ]);
});

Deno.test("domstats: empty output, and a stat before any header throws", () => {
  assertEquals(parseDomstats(""), []);
  assertThrows(() => parseDomstats("  state.state=1\n"), Error, "before any Domain");
});
