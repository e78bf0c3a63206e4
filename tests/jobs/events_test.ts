/**
 * The event listener through the monitor: ready and terminal `block-job-2` events, a domain
 * stopping, events about unknown domains asking for a resync, and the raw lines for the event log.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import {
  fixture,
  IMG,
  LIST,
  monitorOnFakeClock,
  NO_JOB,
  rawInfo,
  startCopy,
  VM1,
} from "./fixtures.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const MiB = 1024 * 1024;

const setup = monitorOnFakeClock;

Deno.test("ready event, then canceled: a ready copy ends as kept-copy with a consistent-image outcome", async () => {
  const { monitor } = setup(() => rawInfo("Block Copy", 64 * MiB, 64 * MiB));
  startCopy(monitor);
  // The monitor learns names from list/XML; beginJob recorded this one.
  monitor.events.handleLine(
    `2026-11-25 19:51:42.437+0000: event 'block-job-2' for domain '${VM1.name}': Block Copy for vda ready`,
  );
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "ready");
  await monitor.tick();
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.etaSeconds, null);
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Copy for vda canceled`,
  );
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.phase, "kept-copy");
  assertMatch(
    job.outcome!,
    /^aborted while mirroring: .*copy\.qcow2 is a consistent image as of \d\d:\d\d:\d\d/,
  );
  assert(job.finishedAt !== null);
});

Deno.test("completed event of a copy means pivoted", () => {
  const { monitor } = setup(() => NO_JOB);
  startCopy(monitor);
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Copy for vda ready`,
  );
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Copy for vda completed`,
  );
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.phase, "pivoted");
  assertEquals(job.outcome, `pivoted: the domain now runs on ${IMG}/copy.qcow2`);
});

Deno.test("lifecycle Stopped marks the domain's active jobs interrupted", () => {
  const { monitor } = setup(() => NO_JOB);
  startCopy(monitor);
  monitor.events.handleLine(`event 'lifecycle' for domain '${VM1.name}': Stopped Destroyed`);
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.phase, "interrupted");
  assertStringIncludes(job.message!, "Stopped Destroyed");
});

Deno.test("events for an unknown domain request a resync on the next tick", async () => {
  const { runner, monitor } = setup((args) => {
    if (args[0] === "list") return LIST;
    if (args[0] === "domstats") return fixture("domstats-all.txt");
    if (args[0] === "dumpxml") return fixture("dumpxml-copy-not-ready.xml");
    if (args.includes("vda")) return rawInfo("Block Copy", MiB, 64 * MiB, MiB);
    return NO_JOB;
  });
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Copy for vda ready`,
  );
  assertEquals(runner.calls.length, 0);
  await monitor.tick();
  assertEquals(runner.count("list"), 1);
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.adopted, true);
  assertEquals(job.phase, "running");
});

Deno.test("the event log receives every raw event line from the monitor's single listener", () => {
  const monitor = new JobMonitor(new FakeRunner(), { sampling: false, events: false });
  const seen: string[] = [];
  const off = monitor.onEventLine((l) => seen.push(l));
  const line =
    "2026-11-25 19:51:42.437+0000: event 'block-job-2' for domain 'vm1': Block Copy for vda ready";
  monitor.events.handleLine(line);
  off();
  monitor.events.handleLine("event 'lifecycle' for domain 'vm1': Stopped Destroyed");
  assertEquals(seen, [line]);
});
