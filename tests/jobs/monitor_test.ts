import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { fixture, IMG, NO_JOB, rawInfo, VM1 } from "./fixtures.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const MiB = 1024 * 1024;
const LIST = `${VM1.uuid} ${VM1.name}\n\n`;

/** A monitor on a fake clock with no timers: the test drives tick() and events. */
function setup(handler: ConstructorParameters<typeof FakeRunner>[0]) {
  const clock = { now: 1_700_000_000_000 };
  const runner = new FakeRunner(handler);
  const monitor = new JobMonitor(runner, {
    now: () => clock.now,
    sampling: false,
    events: false,
    vanishGraceMs: 1500,
  });
  return { clock, runner, monitor };
}

function startCopy(monitor: JobMonitor) {
  monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target: "vda",
    type: "copy",
    bandwidthBytes: MiB,
    dest: `${IMG}/copy.qcow2`,
    source: `${IMG}/snap2.qcow2`,
  });
  monitor.book.confirm({ uuid: VM1.uuid, target: "vda" });
}

Deno.test("samples once per tick per active job; rate and ETA over the window", async () => {
  let cur = 0;
  const { clock, runner, monitor } = setup((args) => {
    if (args[0] === "blockjob") return rawInfo("Block Copy", cur, 64 * MiB, MiB);
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  startCopy(monitor);
  for (let i = 0; i < 5; i++) {
    await monitor.tick();
    clock.now += 1000;
    cur += MiB;
  }
  assertEquals(runner.count("blockjob"), 5);
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.phase, "running");
  assertEquals(job.cur, 4 * MiB);
  assertEquals(job.rateBytesPerSecond, MiB);
  assertEquals(job.etaSeconds, 60);
  assertEquals(job.percent, 6.2);
  assertEquals(job.bandwidthBytes, MiB);
  assertEquals(job.elapsedSeconds, 5);
  // Viewers read memory: a thousand reads spawn nothing.
  for (let i = 0; i < 1000; i++) monitor.getJob(VM1.uuid, "vda");
  assertEquals(runner.calls.length, 5);
});

Deno.test("a copy whose end grows as fast as cur is flagged not converging", async () => {
  let cur = 10 * MiB;
  let end = 64 * MiB;
  const { clock, monitor } = setup(() => rawInfo("Block Copy", cur, end));
  startCopy(monitor);
  for (let i = 0; i < 6; i++) {
    await monitor.tick();
    clock.now += 1000;
    cur += 2 * MiB;
    end += 2 * MiB;
  }
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.converging, false);
});

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

Deno.test("vanished copy with no event and the domain still on the source → unknown, after the grace", async () => {
  let jobGone = false;
  const { clock, runner, monitor } = setup((args) => {
    if (args[0] === "blockjob") return jobGone ? NO_JOB : rawInfo("Block Copy", MiB, 64 * MiB);
    if (args[0] === "list") return LIST;
    if (args[0] === "dumpxml") return fixture("dumpxml-vm1-running.xml");
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  startCopy(monitor);
  await monitor.tick();
  jobGone = true;
  clock.now += 1000;
  await monitor.tick(); // sees no job: starts the grace period
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "running");
  assertEquals(runner.count("dumpxml"), 0);
  clock.now += 1000;
  await monitor.tick(); // still within grace
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "running");
  clock.now += 1000;
  await monitor.tick(); // grace over: the XML decides
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.phase, "unknown");
  assertStringIncludes(job.message!, "still runs on");
  assertStringIncludes(job.message!, "qemu-img compare");
  // A late event settles it.
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Copy for vda failed`,
  );
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "failed");
  // Finished jobs are not sampled any more.
  const calls = runner.calls.length;
  await monitor.tick();
  assertEquals(runner.calls.length, calls);
});

Deno.test("vanished copy whose dest is now the source → pivoted", async () => {
  const { clock, monitor } = setup((args) => {
    if (args[0] === "blockjob") return NO_JOB;
    if (args[0] === "list") return LIST;
    return fixture("dumpxml-after-pivot.xml");
  });
  startCopy(monitor);
  await monitor.tick();
  clock.now += 2000;
  await monitor.tick();
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "pivoted");
});

Deno.test("vanished job of a domain that is no longer running → interrupted", async () => {
  const { clock, monitor } = setup((args) => {
    if (args[0] === "blockjob") return NO_JOB;
    if (args[0] === "list") return "\n";
    throw new Error("no dumpxml expected");
  });
  startCopy(monitor);
  await monitor.tick();
  clock.now += 2000;
  await monitor.tick();
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "interrupted");
});

Deno.test("resync adopts a job started elsewhere, ready from <mirror ready='yes'>", async () => {
  const { runner, monitor } = setup((args) => {
    if (args[0] === "list") return LIST;
    if (args[0] === "domstats") return fixture("domstats-all.txt");
    if (args[0] === "dumpxml") return fixture("dumpxml-copy-ready.xml");
    if (args[0] === "blockjob" && args.includes("vda")) {
      return rawInfo("Block Copy", 64 * MiB, 64 * MiB, 0);
    }
    return NO_JOB;
  });
  await monitor.resync();
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.adopted, true);
  assertEquals(job.type, "copy");
  assertEquals(job.phase, "ready");
  assertEquals(job.dest, `${IMG}/copy.qcow2`);
  assertEquals(job.source, `${IMG}/snap2.qcow2`);
  assertEquals(monitor.getJob(VM1.uuid, "vdb"), null);
  // One bulk domstats names the disks; one blockjob call per disk with a medium (vda, vdb; the
  // empty cdrom is skipped); the XML only because a job was found.
  assertEquals(runner.count("domstats"), 1);
  assertEquals(runner.count("blockjob"), 2);
  assertEquals(runner.count("dumpxml"), 1);
  assertEquals(monitor.book.active().length, 1);
});

Deno.test("a resync after a gap decides a vanished pull from the chain: flattened → completed", async () => {
  const { monitor } = setup((args) => {
    if (args[0] === "list") return LIST;
    if (args[0] === "domstats") return fixture("domstats-all.txt");
    if (args[0] === "dumpxml") return fixture("dumpxml-after-pivot.xml"); // single-layer chain
    return NO_JOB;
  });
  monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target: "vda",
    type: "pull",
    bandwidthBytes: 0,
    chain: [`${IMG}/snap2.qcow2`, `${IMG}/snap1.qcow2`, `${IMG}/base.qcow2`],
  });
  monitor.book.confirm({ uuid: VM1.uuid, target: "vda" });
  await monitor.resync();
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.phase, "completed");
  assertStringIncludes(job.outcome!, "flattened");
});

Deno.test("a starting job is neither sampled nor resolved; discard restores the previous job", async () => {
  const { runner, monitor } = setup(() => NO_JOB);
  startCopy(monitor);
  monitor.book.finish({ uuid: VM1.uuid, target: "vda" }, "pivoted");
  monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target: "vda",
    type: "pull",
    bandwidthBytes: 0,
  });
  await monitor.tick();
  assertEquals(runner.calls.length, 0);
  assertEquals(monitor.getHistory(VM1.uuid, "vda").length, 1);
  monitor.book.discard({ uuid: VM1.uuid, target: "vda" });
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.phase, "pivoted");
  assertEquals(monitor.getHistory(VM1.uuid, "vda").length, 0);
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

Deno.test("a resync of domains without jobs reads no XML: one list, one domstats, blockjob per disk", async () => {
  const { runner, monitor } = setup((args) => {
    if (args[0] === "list") return LIST;
    if (args[0] === "domstats") return fixture("domstats-all.txt");
    if (args[0] === "blockjob") return NO_JOB;
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  await monitor.resync();
  assertEquals(runner.calls.map((c) => c[0]), ["list", "domstats", "blockjob", "blockjob"]);
  assertEquals(runner.calls[1], ["domstats", "--block", "--list-running"]);
  assertEquals(monitor.book.active().length, 0);
});
