/**
 * The sampler through the monitor on a fake clock: one `blockjob --info` per active job per tick,
 * rate and convergence, vanished jobs decided after the grace, starting jobs left alone.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { fixture, LIST, monitorOnFakeClock, NO_JOB, rawInfo, startCopy, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;

const setup = monitorOnFakeClock;

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
