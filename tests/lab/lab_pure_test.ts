/** The lab's pure parts: XML, the data plan, qemu.conf editing, polling. */
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { escapeXml, labDomainXml, type LabOwner, parseLabOwner } from "./domain_xml.ts";
import { layerWrites, patternFor, qemuIoWrite } from "./layers.ts";
import { qemuConfRunAsRoot } from "./host.ts";
import { waitFor } from "./wait.ts";
import { layerFileNames, uniqueName } from "./lab.ts";

const MiB = 1024 * 1024;

Deno.test("escapeXml escapes markup and both quotes", () => {
  assertEquals(
    escapeXml(`<img src=x onerror='a("1")'>&`),
    "&lt;img src=x onerror=&apos;a(&quot;1&quot;)&apos;&gt;&amp;",
  );
});

Deno.test("labDomainXml escapes the name and round-trips the owner", () => {
  const owner: LabOwner = {
    role: "test",
    dir: "/x/it's <a>",
    pid: 42,
    startTicks: 7,
    bootId: "b-1",
  };
  const xml = labDomainXml({
    name: "<img src=x onerror=alert(1)>",
    uuid: "0b6c8c34-2a4c-4c5e-9d43-3f0d5c1f2a11",
    disks: [{ target: "vda", format: "qcow2", source: "/d/snap2.qcow2" }],
    owner,
  });
  assertMatch(xml, /<name>&lt;img src=x onerror=alert\(1\)&gt;<\/name>/);
  assert(!xml.includes("<img"));
  assertMatch(xml, /<domain type='qemu'>/);
  assertMatch(xml, /<driver name='qemu' type='qcow2'\/>/);
  assertMatch(xml, /<target dev='vda' bus='virtio'\/>/);
  assertEquals(parseLabOwner(xml), owner);
  // virsh metadata prints the element with double quotes and no prefix.
  assertEquals(
    parseLabOwner(`<owner role="demo" dir="/a" pid="1" startTicks="2" bootId="z"/>`),
    { role: "demo", dir: "/a", pid: 1, startTicks: 2, bootId: "z" },
  );
  assertEquals(
    parseLabOwner(`<owner role="root" dir="/a" pid="1" startTicks="2" bootId="z"/>`),
    undefined,
  );
  assertEquals(parseLabOwner(""), undefined);
});

Deno.test("layerWrites: 8, 4, 2 MiB in separate regions; upper layers also own offset 0", () => {
  const plan = [0, 1, 2].map((l) => layerWrites(0, l, 3, 64));
  assertEquals(plan[0], [{ offset: 0, length: 8 * MiB, pattern: 0x11 }]);
  assertEquals(plan[1], [
    { offset: 16 * MiB, length: 4 * MiB, pattern: 0x12 },
    { offset: 0, length: 64 * 1024, pattern: 0x12 },
  ]);
  assertEquals(plan[2][0], { offset: 32 * MiB, length: 2 * MiB, pattern: 0x13 });
  assertEquals(patternFor(1, 0), 0x21);
  assertEquals(qemuIoWrite(plan[0][0]), `write -P 0x11 0 ${8 * MiB}`);
  assertThrows(() => layerWrites(0, 3, 3, 64), RangeError);
  assertThrows(() => layerWrites(0, 0, 15, 1), RangeError, "too small");
  for (const layers of [1, 2, 5]) {
    for (let l = 0; l < layers; l++) {
      for (const w of layerWrites(0, l, layers, 16)) assert(w.offset + w.length <= 16 * MiB);
    }
  }
});

Deno.test("layerFileNames and uniqueName", () => {
  assertEquals(layerFileNames(3), ["base.qcow2", "snap1.qcow2", "snap2.qcow2"]);
  const a = uniqueName();
  const b = uniqueName();
  assert(a !== b);
  assertMatch(a, /^bbt-[A-Za-z0-9_-]+$/);
  assertMatch(uniqueName("x-"), /^x-/);
});

Deno.test("qemuConfRunAsRoot: sets root once, keeps a file that already says so", () => {
  const debian =
    `# stock\n#user = "libvirt-qemu"\n#group = "libvirt-qemu"\ndynamic_ownership = 1\n`;
  const fixed = qemuConfRunAsRoot(debian);
  assertEquals(fixed.match(/^user = "root"/gm)?.length, 1);
  assertEquals(fixed.match(/^group = "root"/gm)?.length, 1);
  assertMatch(fixed, /^dynamic_ownership = 1$/m);
  assertEquals(qemuConfRunAsRoot(fixed), fixed);
  const other = qemuConfRunAsRoot(`user = "qemu"\ngroup="root"\n`);
  assertEquals(other.match(/^\s*user\s*=.*$/gm), [`user = "root"`]);
  assertEquals(other.match(/^\s*group\s*=.*$/gm), [`group="root"`]);
});

Deno.test("waitFor returns the first truthy value and names what timed out", async () => {
  let n = 0;
  assertEquals(
    await waitFor("n to reach 3", () => Promise.resolve(++n >= 3 && n), { intervalMs: 1 }),
    3,
  );
  const err = await assertRejects(
    () =>
      waitFor("the impossible", () => Promise.reject(new Error("nope")), {
        timeoutMs: 50,
        intervalMs: 5,
      }),
  );
  assertMatch(err.message, /waiting for the impossible; last error: nope/);
});
