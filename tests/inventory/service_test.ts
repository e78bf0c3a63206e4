/**
 * The inventory on captured output (a scripted runner): which virsh calls it makes, with argv from
 * the builders, and how list, persistence, domstats and XML merge into one domain.
 */
import { assertEquals } from "@std/assert";
import { Inventory } from "../../server/inventory/service.ts";
import {
  domStatsInventoryArgs,
  dumpXmlArgs,
  listAllArgs,
  listPersistentArgs,
} from "../../server/virsh/commands.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const VM1 = "704cf090-1533-475a-a0f6-1f81adb2fb5c";
const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/virsh/${name}`, import.meta.url));

/** The `Domain: 'bbfix-vm1'` record of a bulk domstats output. */
function vm1Record(all: string): string {
  const start = all.indexOf("Domain: 'bbfix-vm1'");
  const end = all.indexOf("\nDomain: ", start + 1);
  return all.slice(start, end < 0 ? undefined : end + 1) + "\n";
}

function runner(): FakeRunner {
  return new FakeRunner((args) => {
    if (args[0] === "list") {
      return args.includes("--persistent")
        ? fixture("list-uuid-persistent.txt")
        : `${VM1} bbfix-vm1\n\n`;
    }
    if (args[0] === "domstats") {
      const all = fixture("domstats-all.txt");
      // One domain after `--`: virsh prints only its record.
      return args.includes("--") ? vm1Record(all) : all;
    }
    if (args[0] === "dumpxml") return fixture("dumpxml-vm1-running.xml");
    return { error: `unexpected call ${args.join(" ")}` };
  });
}

Deno.test("Inventory.getDomain: one snapshot (list, persistent list, bulk domstats, dumpxml by UUID), then memory", async () => {
  const r = runner();
  const inventory = new Inventory(r);
  const domain = await inventory.getDomain("bbfix-vm1");
  assertEquals(
    new Set(r.calls.map((c) => c.join(" "))),
    new Set(
      [listAllArgs(), listPersistentArgs(), domStatsInventoryArgs(), dumpXmlArgs(VM1)].map((c) =>
        c.join(" ")
      ),
    ),
  );
  assertEquals(r.calls.length, 4);
  // Warm: the same question, and a listing, start nothing.
  await inventory.getDomain(VM1);
  await inventory.listDomains();
  assertEquals(r.calls.length, 4);
  assertEquals([domain?.name, domain?.uuid, domain?.state, domain?.persistent], [
    "bbfix-vm1",
    VM1,
    "running",
    true,
  ]);
  const vda = domain!.disks.find((d) => d.target === "vda")!;
  assertEquals(vda.chain.map((l) => [l.index, l.format, l.capacity]), [
    [3, "qcow2", 67108864],
    [4, "qcow2", 67108864],
    [5, "qcow2", 67108864],
  ]);
  // The bytes on the host: domstats' physical size, not the guest's allocation counter.
  assertEquals(vda.chain[0].allocation, 8658944);
  assertEquals([vda.format, vda.source, vda.warnings], [
    "qcow2",
    "/var/lib/libvirt/images/bbfix/snap2.qcow2",
    [],
  ]);
});

Deno.test("Inventory.listDomains: one bulk domstats for every domain; an unknown name is null", async () => {
  const r = runner();
  const inventory = new Inventory(r, { cacheMs: 0 });
  const domains = await inventory.listDomains();
  assertEquals(domains.map((d) => d.name), ["bbfix-vm1"]);
  assertEquals(r.calls.filter((c) => c[0] === "domstats"), [domStatsInventoryArgs()]);
  assertEquals(await inventory.getDomain("no-such-domain"), null);
});
