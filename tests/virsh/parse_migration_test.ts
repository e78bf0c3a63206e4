/**
 * Parsers the migration and remote copies read, on output captured from the lab's namespaced
 * hosts (libvirt 9.0): `domjobinfo --rawstats`, `pool-info --bytes`, `vol-list`, `pool-list`,
 * `domcapabilities`.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { migrationStage, parseDomJobInfoRaw } from "../../server/virsh/parse/domjobinfo.ts";
import {
  parsePoolInfo,
  parsePoolNames,
  parseVolList,
} from "../../server/virsh/parse/storage_volumes.ts";
import { parseDomainCapabilities } from "../../server/virsh/parse/domcaps.ts";
import { parseDomainPlatform } from "../../server/virsh/parse/domplatform.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url));

Deno.test("domjobinfo --rawstats: no job (captured)", async () => {
  assertEquals(parseDomJobInfoRaw(await fixture("domjobinfo-raw-none.txt")), null);
});

Deno.test("domjobinfo --rawstats: not the raw form is refused", async () => {
  assertThrows(() => parseDomJobInfoRaw(""), Error, "not domjobinfo");
  // The human form says `Job type: Unbounded`: refused, never read as "no job".
  const human = await fixture("domjobinfo-human-disk.txt");
  assertThrows(() => parseDomJobInfoRaw(human), Error, "job type");
});

Deno.test("domjobinfo --rawstats: migration just started, no totals yet (captured)", async () => {
  const info = parseDomJobInfoRaw(await fixture("domjobinfo-raw-starting.txt"))!;
  assertEquals(info.type, "unbounded");
  assertEquals(info.operation, 5);
  assertEquals(info.timeElapsedMs, 115);
  assertEquals(info.dataTotal, 0);
  assertEquals(migrationStage(info), "starting");
});

Deno.test("domjobinfo --rawstats: disks being mirrored (captured)", async () => {
  const info = parseDomJobInfoRaw(await fixture("domjobinfo-raw-disk.txt"))!;
  assertEquals(
    {
      type: info.type,
      elapsed: info.timeElapsedMs,
      total: info.dataTotal,
      processed: info.dataProcessed,
      remaining: info.dataRemaining,
      disk: [info.diskTotal, info.diskProcessed, info.diskRemaining],
      memory: info.memoryTotal,
    },
    {
      type: "unbounded",
      elapsed: 3008,
      total: 67108864,
      processed: 16777216,
      remaining: 50331648,
      disk: [67108864, 16777216, 50331648],
      memory: 0,
    },
  );
  assertEquals(migrationStage(info), "disks");
});

Deno.test("domjobinfo --rawstats: memory pre-copy after the disks (captured)", async () => {
  const info = parseDomJobInfoRaw(await fixture("domjobinfo-raw-memory.txt"))!;
  assertEquals(info.dataTotal, 134610944);
  assertEquals(info.dataRemaining, 1220608);
  assertEquals(info.memoryTotal, 67502080);
  assertEquals(info.memoryRemaining, 1220608);
  assertEquals(info.memoryDirtyRate, 0);
  assertEquals(info.memoryPageSize, 4096);
  assertEquals(info.memoryIteration, 1);
  assertEquals(info.raw.downtime, "300");
  assertEquals(migrationStage(info), "memory");
});

Deno.test("pool-info --bytes (captured)", async () => {
  assertEquals(parsePoolInfo(await fixture("pool-info-bytes.txt")), {
    name: "images",
    uuid: "d3d29756-0a97-40b4-a133-129c41abbfd9",
    state: "running",
    persistent: true,
    autostart: false,
    capacity: 270553174016,
    allocation: 24308555776,
    available: 246244618240,
  });
  assertThrows(() => parsePoolInfo("error"), Error, "not pool-info");
});

Deno.test("vol-list and pool-list --name (captured)", async () => {
  assertEquals(parseVolList(await fixture("vol-list.txt")), [
    { name: "bbmig-t1-top.qcow2", path: "/var/lib/libvirt/images/bbmig-t1-top.qcow2" },
  ]);
  assertEquals(parseVolList(" Name   Path\n------------\n\n"), []);
  assertThrows(() => parseVolList(""), Error, "not vol-list");
  assertEquals(parsePoolNames("images\nbbmig-vda\n\n"), ["images", "bbmig-vda"]);
});

Deno.test("domcapabilities for a TCG pc domain (captured)", async () => {
  const caps = parseDomainCapabilities(await fixture("domcapabilities-qemu-x86_64-pc.xml"));
  assertEquals(caps.domain, "qemu");
  assertEquals(caps.machine, "pc-i440fx-7.2");
  assertEquals(caps.arch, "x86_64");
  assertEquals(caps.vcpuMax, 255);
  assertEquals(caps.cpuModes["host-passthrough"], false);
  assertEquals(caps.cpuModes["host-model"], true);
  assertEquals(caps.usableModels.includes("qemu64"), true);
  assertEquals(caps.usableModels.includes("phenom"), false);
});

Deno.test("domain platform from dumpxml (captured)", async () => {
  const p = parseDomainPlatform(await fixture("dumpxml-vm1-running.xml"));
  assertEquals(p.virtType, "qemu");
  assertEquals(p.arch, "x86_64");
  assertEquals(p.vcpus, 1);
  assertEquals(p.machine, "pc-i440fx-7.2");
  assertEquals(p.cpuMode, "custom");
  assertEquals(p.cpuModel, "qemu64");
});
