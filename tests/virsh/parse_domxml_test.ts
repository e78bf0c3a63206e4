import { assertEquals, assertThrows } from "@std/assert";
import { parseDomainXml, type XmlDisk } from "../../server/virsh/parse/domxml.ts";

const fixture = async (name: string) =>
  parseDomainXml(await Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url)));

const I = "/var/lib/libvirt/images/bbfix";
const disk = (disks: XmlDisk[], target: string) => disks.find((d) => d.target === target)!;
const layer = (index: number | null, file: string, format: string | null) => ({
  index,
  type: "file",
  path: `${I}/${file}`,
  format,
});

const liveChain = [
  layer(3, "snap2.qcow2", "qcow2"),
  layer(4, "snap1.qcow2", "qcow2"),
  layer(5, "base.qcow2", "qcow2"),
];

Deno.test("running domain: full chain with indexes, closed by <backingStore/> (captured)", async () => {
  const dom = await fixture("dumpxml-vm1-running.xml");
  assertEquals(dom.name, "bbfix-vm1");
  assertEquals(dom.uuid, "704cf090-1533-475a-a0f6-1f81adb2fb5c");
  assertEquals(dom.domainType, "qemu");
  assertEquals(dom.disks.map((d) => d.target), ["vda", "vdb", "hdc"]);
  assertEquals(disk(dom.disks, "vda"), {
    target: "vda",
    bus: "virtio",
    device: "disk",
    type: "file",
    chain: liveChain,
    chainOpenEnded: false,
    mirror: null,
    readonly: false,
  });
  const vdb = disk(dom.disks, "vdb");
  assertEquals(vdb.chain, [layer(2, "data.raw", "raw")]);
  assertEquals(vdb.chainOpenEnded, false);
});

Deno.test("empty cdrom: no source, chain [], readonly (captured, live and inactive)", async () => {
  for (const f of ["dumpxml-vm1-running.xml", "dumpxml-vm1-shutoff.xml"]) {
    const hdc = disk((await fixture(f)).disks, "hdc");
    assertEquals(hdc.device, "cdrom");
    assertEquals(hdc.bus, "ide");
    assertEquals(hdc.chain, []);
    assertEquals(hdc.chainOpenEnded, false);
    assertEquals(hdc.readonly, true);
  }
});

Deno.test("inactive XML: top only, no index, chain open-ended (captured)", async () => {
  for (const f of ["dumpxml-vm1-shutoff.xml", "dumpxml-vm1-inactive-while-running.xml"]) {
    const dom = await fixture(f);
    const vda = disk(dom.disks, "vda");
    assertEquals(vda.chain, [layer(null, "snap2.qcow2", "qcow2")]);
    assertEquals(vda.chainOpenEnded, true);
    assertEquals(disk(dom.disks, "vdb").chainOpenEnded, true);
  }
});

Deno.test("copy: mirror before and after ready (captured)", async () => {
  const before = disk((await fixture("dumpxml-copy-not-ready.xml")).disks, "vda");
  assertEquals(before.chain, liveChain);
  assertEquals(before.mirror, {
    path: `${I}/copy.qcow2`,
    format: "qcow2",
    job: "copy",
    ready: null,
  });
  const after = disk((await fixture("dumpxml-copy-ready.xml")).disks, "vda");
  assertEquals(after.mirror?.ready, "yes");
  assertEquals(after.chain, liveChain);
});

Deno.test("after a pivot the copy is the whole chain (captured)", async () => {
  const vda = disk((await fixture("dumpxml-after-pivot.xml")).disks, "vda");
  assertEquals(vda.chain, [layer(6, "copy.qcow2", "qcow2")]);
  assertEquals(vda.mirror, null);
  assertEquals(vda.chainOpenEnded, false);
});

Deno.test("commit: no mirror while running; indexes only grow after (captured)", async () => {
  assertEquals(disk((await fixture("dumpxml-commit.xml")).disks, "vda").mirror, null);
  const vda = disk((await fixture("dumpxml-after-commit.xml")).disks, "vda");
  assertEquals(vda.chain, [layer(3, "snap2.qcow2", "qcow2"), layer(5, "base.qcow2", "qcow2")]);
});

Deno.test("active commit: mirror path and format come from child elements (captured)", async () => {
  const vda = disk((await fixture("dumpxml-active-commit.xml")).disks, "vda");
  assertEquals(vda.mirror, {
    path: `${I}/base.qcow2`,
    format: "qcow2",
    job: "active-commit",
    ready: null,
  });
  const ready = disk((await fixture("dumpxml-active-commit-ready.xml")).disks, "vda");
  assertEquals(ready.mirror?.ready, "yes");
  assertEquals(ready.mirror?.job, "active-commit");
});

Deno.test("pull: new overlay over base (captured)", async () => {
  const vda = disk((await fixture("dumpxml-pull.xml")).disks, "vda");
  assertEquals(vda.chain, [layer(6, "top.qcow2", "qcow2"), layer(5, "base.qcow2", "qcow2")]);
  assertEquals(vda.mirror, null);
});

Deno.test("network and block sources (captured)", async () => {
  const dom = await fixture("dumpxml-network-shutoff.xml");
  assertEquals(disk(dom.disks, "vda").chain, [
    { index: null, type: "network", path: "nbd://192.0.2.10:10809/export1", format: "raw" },
  ]);
  assertEquals(disk(dom.disks, "vdb").chain, [
    { index: null, type: "block", path: "/dev/bbfix-nonexistent", format: "raw" },
  ]);
});

Deno.test("names stay strings and entities are decoded (captured)", async () => {
  const twelve = await fixture("dumpxml-name-12.xml");
  assertEquals(twelve.name, "12");
  assertEquals(typeof twelve.name, "string");
  assertEquals(twelve.disks, []);
  const odd = await fixture("dumpxml-name-odd.xml");
  assertEquals(odd.name, "bbfix-it's <img src=x onerror=alert(1)>");
});

const wrap = (disks: string, name = "vm") =>
  `<domain type='kvm'><name>${name}</name><uuid>u-1</uuid><devices>${disks}</devices></domain>`;

Deno.test("hand-made: numeric paths, missing backing format, no <format> means null", () => {
  const dom = parseDomainXml(wrap(
    `
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='0012' index='1'/>
      <backingStore type='file' index='2'>
        <source file='/img/0x10'/>
        <backingStore/>
      </backingStore>
      <target dev='vda'/>
    </disk>`,
    " 007 ",
  ));
  assertEquals(dom.name, " 007 ");
  assertEquals(dom.domainType, "kvm");
  const [vda] = dom.disks;
  assertEquals(vda.bus, null);
  assertEquals(vda.chain, [
    { index: 1, type: "file", path: "0012", format: "qcow2" },
    { index: 2, type: "file", path: "/img/0x10", format: null },
  ]);
  assertEquals(vda.chainOpenEnded, false);
});

Deno.test("hand-made: chain that stops without <backingStore/> is open-ended mid-way", () => {
  const [vda] = parseDomainXml(wrap(`
    <disk type='file' device='disk'>
      <driver type='qcow2'/>
      <source file='/a'/>
      <backingStore type='block' index='4'>
        <format type='raw'/>
        <source dev='/dev/sdz'/>
      </backingStore>
      <target dev='vda'/>
    </disk>`)).disks;
  assertEquals(vda.chain.map((l) => [l.type, l.path, l.format, l.index]), [
    ["file", "/a", "qcow2", null],
    ["block", "/dev/sdz", "raw", 4],
  ]);
  assertEquals(vda.chainOpenEnded, true);
});

Deno.test("hand-made: network without port, volume source, several disks", () => {
  const dom = parseDomainXml(wrap(`
    <disk type='network' device='disk'>
      <driver type='raw'/>
      <source protocol='rbd' name='pool/image'><host name='mon1'/><host name='mon2'/></source>
      <target dev='vda'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver type='qcow2'/>
      <source pool='default' volume='v1.qcow2'/>
      <target dev='vdb'/>
    </disk>`));
  assertEquals(dom.disks.map((d) => d.chain[0].path), [
    "rbd://mon1/pool/image",
    "default/v1.qcow2",
  ]);
});

Deno.test("not a domain: throws", () => {
  assertThrows(() => parseDomainXml("<network><name>x</name></network>"), Error, "<domain>");
  assertThrows(() => parseDomainXml("error: failed to get domain 'x'"), Error);
  assertThrows(
    () => parseDomainXml("<domain type='qemu'><uuid>u</uuid></domain>"),
    Error,
    "<name>",
  );
});
