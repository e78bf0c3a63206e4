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

/** The captured host: bbfix-vm1 running. */
function host(args: readonly string[]) {
  if (args[0] === "list") {
    return args.includes("--persistent")
      ? fixture("list-uuid-persistent.txt")
      : `${VM1} bbfix-vm1\n\n`;
  }
  // The inventory's one bulk call: every domain's record.
  if (args[0] === "domstats") return fixture("domstats-all.txt");
  if (args[0] === "dumpxml") return fixture("dumpxml-vm1-running.xml");
  return { error: `unexpected call ${args.join(" ")}` };
}

function runner(): FakeRunner {
  return new FakeRunner(host);
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

Deno.test("a domain whose XML cannot be read for a moment still resolves; its XML is read again next time", async () => {
  let failNext = false;
  const r = new FakeRunner((args) => {
    if (args[0] === "dumpxml" && failNext) {
      failNext = false;
      return { fail: "timeout" };
    }
    return host(args);
  });
  const inventory = new Inventory(r);
  assertEquals((await inventory.getDomain(VM1))?.name, "bbfix-vm1");
  inventory.invalidate(VM1);
  failNext = true;
  // The failed read keeps the name and the last known XML: no 404 for a busy moment.
  assertEquals((await inventory.resolve("bbfix-vm1"))?.uuid, VM1);
  assertEquals((await inventory.getDomain("bbfix-vm1"))?.disks.length, 3);
  assertEquals(r.calls.filter((c) => c[0] === "dumpxml").length, 3, "read again after the failure");
});

Deno.test("a domain gone between list and dumpxml is simply gone", async () => {
  const r = new FakeRunner((args) =>
    args[0] === "dumpxml" ? { error: `failed to get domain '${VM1}'` } : host(args)
  );
  const inventory = new Inventory(r);
  assertEquals(await inventory.resolve("bbfix-vm1"), null);
  assertEquals(await inventory.listDomains(), []);
});
