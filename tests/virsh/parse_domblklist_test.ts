import { assertEquals, assertThrows } from "@std/assert";
import { parseDomBlkList } from "../../server/virsh/parse/domblklist.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url));

Deno.test("domblklist --details: rows with type, device, target, source; empty cdrom is null", async () => {
  assertEquals(parseDomBlkList(await fixture("domblklist-details.txt")), [
    {
      type: "file",
      device: "disk",
      target: "vda",
      source: "/var/lib/libvirt/images/bbfix/snap2.qcow2",
    },
    {
      type: "file",
      device: "disk",
      target: "vdb",
      source: "/var/lib/libvirt/images/bbfix/data.raw",
    },
    { type: "file", device: "cdrom", target: "hdc", source: null },
  ]);
  assertEquals(
    parseDomBlkList(await fixture("domblklist-details-inactive.txt")).map((r) => r.target),
    ["vda", "vdb", "hdc"],
  );
});

Deno.test("domblklist --details: a source path with spaces is kept whole", () => {
  const out =
    " Type   Device   Target   Source\n------------\n file   disk     vda      /srv/my images/a b.qcow2\n\n";
  assertEquals(parseDomBlkList(out)[0].source, "/srv/my images/a b.qcow2");
});

Deno.test("domblklist --details: a malformed row is an error, not a silent skip", () => {
  assertThrows(() => parseDomBlkList(" file disk\n"), Error, "unexpected domblklist row");
});
