/** The short-lived memory of a domain's disk targets behind `GET …/job`. */
import { assertEquals, assertRejects } from "@std/assert";
import { DiskTargets } from "../../server/routes/disk_targets.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const UUID = "aa68f1a8-4c28-48b2-b9a5-fac44073a887";
const TABLE =
  " Type   Device   Target   Source\n---\n file   disk     vda      /i/a\n file   cdrom    hdc      -\n\n";

Deno.test("DiskTargets: one listing per max age, known and unknown targets alike", async () => {
  let now = 0;
  const runner = new FakeRunner(() => TABLE);
  const disks = new DiskTargets(runner, { maxAgeMs: 10_000, now: () => now });
  assertEquals(await disks.has(UUID, "vda"), true);
  assertEquals(await disks.has(UUID, "hdc"), true);
  assertEquals(await disks.has(UUID, "vdz"), false);
  now = 9_999;
  assertEquals(await disks.has(UUID, "vda"), true);
  assertEquals(runner.calls.length, 1);
  now = 10_000;
  assertEquals(await disks.has(UUID, "vda"), true);
  assertEquals(runner.calls.length, 2);
  assertEquals(runner.calls[0], ["domblklist", "--details", "--domain", UUID]);
});

Deno.test("DiskTargets: a failed listing is not remembered", async () => {
  let down = true;
  const runner = new FakeRunner(() => (down ? { fail: "unreachable" } : TABLE));
  const disks = new DiskTargets(runner, { now: () => 0 });
  await assertRejects(() => disks.has(UUID, "vda"));
  down = false;
  assertEquals(await disks.has(UUID, "vda"), true);
  assertEquals(runner.calls.length, 2);
});
