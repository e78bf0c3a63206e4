/**
 * Block jobs end to end on real lab domains: real virsh, real QEMU, data checked with qemu-img.
 * Jobs are kept observable by throttling; every wait is on state, with a deadline.
 */
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { JobConflictError } from "../../server/jobs/errors.ts";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobOperations } from "../../server/jobs/operations.ts";
import { labOutsideCopy, labVirsh, qemuImg, waitFor } from "../lab/lab.ts";
import { chainPaths, jobLab, rawJob, waitPhase, xmlDisk } from "./lab_harness.ts";

const MiB = 1024 * 1024;

async function assertIdentical(a: string, b: string) {
  const r = await qemuImg("compare", "-U", "-f", "qcow2", "-F", "qcow2", a, b);
  assertEquals(r.code, 0, `qemu-img compare ${a} ${b}: ${r.stdout}${r.stderr}`);
  assertStringIncludes(r.stdout, "Images are identical");
}

Deno.test("pull flattens the chain", async () => {
  await using lab = await jobLab();
  const [top] = lab.dom.disks[0].chain;
  const started = await lab.ops.startPull(lab.vda, {});
  assertEquals(started.type, "pull");
  const job = await waitPhase(lab.monitor, lab.vda, ["completed", "failed", "unknown"]);
  assertEquals(job.phase, "completed");
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [top]);
  const info = JSON.parse(
    (await qemuImg("info", "-U", "-f", "qcow2", "--output=json", top)).stdout,
  );
  assertEquals(info["backing-filename"], undefined);
});

Deno.test("throttled copy: observable, bandwidth change shows in blockjob, ready by event, pivot, identical data", async () => {
  await using lab = await jobLab({ persistent: true });
  const [top] = lab.dom.disks[0].chain;
  const dest = `${lab.dom.dir}/copy.qcow2`;
  const started = await lab.ops.startCopy(lab.vda, { dest, bandwidthBytes: MiB });
  assertEquals(started.phase, "running");
  assertEquals(started.dest, dest);
  // Observable while throttled: the monitor sees progress below the end and a rate near the limit.
  // QEMU copies 16 MiB at once, then waits 16 s: the first rate is that of a whole step (not the
  // "0 B/s" of the wait before it, nor twice the limit over part of it).
  const sampled = await waitFor("a rate while throttled", () => {
    const job = lab.monitor.getJob(lab.dom.uuid, "vda");
    return Promise.resolve(job?.rateBytesPerSecond != null && job.cur < job.end ? job : null);
  }, { timeoutMs: 30_000 });
  assertEquals(sampled.phase, "running");
  assertEquals(sampled.bandwidthBytes, MiB);
  const rate = sampled.rateBytesPerSecond!;
  assert(rate > MiB / 2 && rate <= 1.25 * MiB, `rate ${rate}`);
  assertEquals((await rawJob(lab.dom.uuid, "vda"))?.bandwidth, MiB);
  // Pivot before ready is refused and changes nothing.
  const early = await assertRejects(() => lab.ops.pivot(lab.vda), JobConflictError);
  assertEquals(early.reason, "not-ready");
  assertEquals((await chainPaths(lab.dom.uuid, "vda"))[0], top);
  // A second job on the busy disk is refused.
  const busy = await assertRejects(() => lab.ops.startPull(lab.vda, {}), JobConflictError);
  assertEquals(busy.reason, "job-exists");
  // Two control operations at once: one of them gets the lock conflict.
  const both = await Promise.allSettled([
    lab.ops.setBandwidth(lab.vda, 2 * MiB),
    lab.ops.setBandwidth(lab.vda, 3 * MiB),
  ]);
  const rejected = both.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  assertEquals(rejected.length, 1);
  assertInstanceOf(rejected[0].reason, JobConflictError);
  assertEquals((rejected[0].reason as JobConflictError).reason, "busy");
  // Unthrottle: visible in blockjob --raw --bytes and in the job.
  const unthrottled = await lab.ops.setBandwidth(lab.vda, 0);
  assertEquals((await rawJob(lab.dom.uuid, "vda"))?.bandwidth, 0);
  assertEquals(unthrottled.bandwidthBytes, 0);
  const ready = await waitPhase(lab.monitor, lab.vda, ["ready"]);
  assert(ready.readyAt !== null);
  // Events arrived over the listener (the ready event is the only one so far).
  assertEquals(lab.monitor.events.state, "listening");
  const pivoted = await lab.ops.pivot(lab.vda);
  assertEquals(pivoted.phase, "pivoted");
  assertEquals(pivoted.message, undefined, "pivot verification warned");
  assertEquals(pivoted.outcome, `pivoted: the domain now runs on ${dest}`);
  assertEquals((await xmlDisk(lab.dom.uuid, "vda")).chain.map((l) => l.path), [dest]);
  assertEquals((await xmlDisk(lab.dom.uuid, "vda", true)).chain[0].path, dest);
  await assertIdentical(top, dest);
});

Deno.test("shallow copy keeps the old backing file", async () => {
  await using lab = await jobLab({ persistent: false });
  const [top, ...backing] = lab.dom.disks[0].chain;
  const dest = `${lab.dom.dir}/shallow.qcow2`;
  const plan = await lab.ops.preview(lab.vda, { op: "copy", input: { dest, shallow: true } });
  assertEquals(plan.chainAfter.map((l) => l.path), [dest, ...backing]);
  assert(!plan.argv.includes("--transient-job"));
  await lab.ops.startCopy(lab.vda, { dest, shallow: true });
  await waitPhase(lab.monitor, lab.vda, ["ready"]);
  await lab.ops.pivot(lab.vda);
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [dest, ...backing]);
  await assertIdentical(top, dest);
});

Deno.test("active commit + pivot leaves the domain on the base", async () => {
  await using lab = await jobLab();
  const chain = lab.dom.disks[0].chain;
  const base = chain[chain.length - 1];
  const started = await lab.ops.startCommit(lab.vda, {});
  assertEquals(started.type, "active-commit");
  assertEquals(started.base, base);
  await waitPhase(lab.monitor, lab.vda, ["ready"]);
  const job = await lab.ops.pivot(lab.vda);
  assertEquals(job.phase, "pivoted");
  assertEquals(job.message, undefined, "pivot verification warned");
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [base]);
});

Deno.test("keep copy: abort of a ready copy leaves the domain on the source with a consistent copy", async () => {
  await using lab = await jobLab();
  const [top] = lab.dom.disks[0].chain;
  const chainBefore = await chainPaths(lab.dom.uuid, "vda");
  const dest = `${lab.dom.dir}/kept.qcow2`;
  await lab.ops.startCopy(lab.vda, { dest });
  // keep-copy before ready is a conflict only if still running; wait for ready first.
  await waitPhase(lab.monitor, lab.vda, ["ready"]);
  const job = await lab.ops.abort(lab.vda, "keep-copy");
  assertEquals(job.phase, "kept-copy");
  assertStringIncludes(job.outcome!, `${dest} is a consistent image as of`);
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), chainBefore);
  assertEquals(await rawJob(lab.dom.uuid, "vda"), null);
  await assertIdentical(top, dest);
  // No job left to control.
  const none = await assertRejects(() => lab.ops.abort(lab.vda), JobConflictError);
  assertEquals(none.reason, "no-job");
});

Deno.test("a job started with plain virsh is adopted; a new monitor picks a running job up", async () => {
  await using lab = await jobLab({ persistent: false });
  const dest = `${lab.dom.dir}/plain.qcow2`;
  await labOutsideCopy(lab.dom.uuid, "vda", dest, { bytesPerSecond: 262144 });
  await lab.monitor.resync(lab.dom.uuid);
  const adopted = lab.monitor.getJob(lab.dom.uuid, "vda")!;
  assertEquals(adopted.adopted, true);
  assertEquals(adopted.type, "copy");
  assertEquals(adopted.dest, dest);
  assertEquals(adopted.bandwidthBytes, 262144);
  // blockboard "restarts": a fresh monitor adopts the running job at start-up.
  await lab.monitor.stop();
  const second = new JobMonitor(lab.runner, { intervalMs: 250, resyncIntervalMs: 0 });
  try {
    await second.start();
    const picked = second.getJob(lab.dom.uuid, "vda")!;
    assertEquals(picked.adopted, true);
    assertEquals(picked.phase, "running");
    const ops = new JobOperations(lab.runner, second);
    await ops.setBandwidth(lab.vda, 0);
    await waitPhase(second, lab.vda, ["ready"]);
    const done = await ops.pivot(lab.vda);
    assertEquals(done.phase, "pivoted");
    assertEquals((await chainPaths(lab.dom.uuid, "vda"))[0], dest);
  } finally {
    await second.stop();
  }
});

Deno.test("a domain destroyed mid-job ends as interrupted", async () => {
  await using lab = await jobLab({ persistent: true });
  await lab.ops.startCopy(lab.vda, { dest: `${lab.dom.dir}/c.qcow2`, bandwidthBytes: 256 * 1024 });
  await waitPhase(lab.monitor, lab.vda, ["running"]);
  const r = await labVirsh("destroy", "--domain", lab.dom.uuid);
  assertEquals(r.code, 0, r.stderr);
  const job = await waitPhase(lab.monitor, lab.vda, [
    "interrupted",
    "unknown",
    "canceled",
    "failed",
  ]);
  assertEquals(job.phase, "interrupted");
});
