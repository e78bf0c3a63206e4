/** The one rule for whether a job can start on a disk (form, API, copy suggestions). Pure. */
import { assertEquals } from "@std/assert";
import { canStartJob, jobsPossibleIn } from "../../server/jobs/can_start.ts";

const FILE_DISK = { type: "file", chain: [{}], warnings: [] };

Deno.test("jobs run on running, paused and blocked domains (virsh says idle for blocked)", () => {
  const table: [string, boolean][] = [
    ["running", true],
    ["paused", true],
    ["blocked", true],
    ["idle", true],
    ["in shutdown", false],
    ["shutdown", false],
    ["shut off", false],
    ["crashed", false],
    ["pmsuspended", false],
    ["no state", false],
  ];
  for (const [state, ok] of table) {
    assertEquals(jobsPossibleIn(state), ok, state);
    assertEquals(
      canStartJob({ name: "web", state }, FILE_DISK)?.kind ?? null,
      ok ? null : "not-running",
    );
  }
});

Deno.test("the disk: media, inventory warnings, file or block only; the domain's state first", () => {
  const running = { name: "web", state: "running" };
  assertEquals(canStartJob(running, { ...FILE_DISK, chain: [] })?.kind, "no-media");
  assertEquals(canStartJob(running, { ...FILE_DISK, warnings: ["probe"] })?.kind, "disk-warning");
  assertEquals(canStartJob(running, { ...FILE_DISK, type: "network" })?.kind, "disk-type");
  assertEquals(canStartJob(running, { ...FILE_DISK, type: "block" }), null);
  assertEquals(
    canStartJob(running, { type: "file", chain: [{}] }),
    null,
    "XML disks have no warnings",
  );
  const off = canStartJob({ name: "web", state: "shut off" }, { ...FILE_DISK, chain: [] });
  assertEquals(off?.message, "Block jobs need a running domain; web is shut off.");
});
