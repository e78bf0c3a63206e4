/**
 * The resync through the monitor: adoption of jobs started elsewhere, vanished jobs decided after a
 * gap, and what it costs when no domain has a job.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { fixture, IMG, LIST, monitorOnFakeClock, NO_JOB, rawInfo, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;

const setup = monitorOnFakeClock;

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
