/**
 * The options busy hosts need, on real lab domains through real virsh and QEMU: a write-blocking
 * copy of a disk written faster than the bandwidth reaches ready and pivots, while a plain one is
 * reported as not converging after 30 s; granularity and buffer size at their limits are accepted
 * by virsh; --keep-relative keeps relative backing names; commit --delete removes the committed
 * layers, and is refused (409, nothing changed) while another domain shares one of them.
 *
 * The lab guests have no OS: a "guest write" is `qemu-io` through the disk's own device backend
 * (`qemu-monitor-command --hmp`), which goes through the mirror exactly like a guest's write.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { JobConflictError, JobInputError } from "../../server/jobs/errors.ts";
import { createLabDomain, labVirsh, qemuImg, uniqueName, waitFor } from "../lab/lab.ts";
import { chainPaths, jobLab, rawJob, waitPhase } from "./lab_harness.ts";
import { labApp } from "../security/lab_app.ts";
import { exists } from "../support/files.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const PREFIX = "bbopt-";

/**
 * Writes 1 MiB per second at fresh offsets (from `fromMiB` up) through the domain's vda device,
 * until stopped. Four times the 256 KiB/s the copies below are limited to.
 */
function guestWriter(uuid: string, fromMiB: number) {
  let running = true;
  let written = 0;
  const done = (async () => {
    while (running) {
      const r = await labVirsh(
        "qemu-monitor-command",
        "--domain",
        uuid,
        "--hmp",
        `qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend "write -P 0x5a ${
          fromMiB + written
        }M 1M"`,
      );
      if (r.code !== 0 || r.stdout.trim() !== "") {
        throw new Error(`guest write failed: ${r.stdout}${r.stderr}`);
      }
      written++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return {
    get written() {
      return written;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

async function backingFilename(path: string): Promise<string | undefined> {
  const r = await qemuImg("info", "-U", "-f", "qcow2", "--output=json", path);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)["backing-filename"];
}

async function assertIdentical(a: string, b: string) {
  const r = await qemuImg("compare", "-U", "-f", "qcow2", "-F", "qcow2", a, b);
  assertEquals(r.code, 0, `qemu-img compare ${a} ${b}: ${r.stdout}${r.stderr}`);
}

const BUSY_DISK = [{ target: "vda", layers: 3, sizeMiB: 128 }];
const TUNING = { granularity: 64 * KiB, bufSize: 256 * KiB };

Deno.test("synchronous writes: a copy of a disk written 4x faster than the bandwidth reaches ready and pivots", async () => {
  await using lab = await jobLab({ name: uniqueName(PREFIX), disks: BUSY_DISK });
  const [top] = lab.dom.disks[0].chain;
  const dest = `${lab.dom.dir}/sync.qcow2`;
  const started = await lab.ops.startCopy(lab.vda, {
    dest,
    shallow: true,
    bandwidthBytes: 256 * KiB,
    synchronousWrites: true,
    ...TUNING,
  });
  assertStringIncludes(
    started.command!,
    "--synchronous-writes --granularity 65536 --buf-size 262144",
  );
  assertEquals(started.options, { synchronousWrites: true, ...TUNING });
  const writer = guestWriter(lab.dom.uuid, 32);
  try {
    const ready = await waitPhase(lab.monitor, lab.vda, ["ready", "failed", "canceled"], {
      timeoutMs: 60_000,
    });
    assertEquals(ready.phase, "ready");
    assert(writer.written >= 3, `only ${writer.written} writes happened before ready`);
    assertEquals(ready.notConverging, null);
    assertEquals((await rawJob(lab.dom.uuid, "vda"))?.bandwidth, 256 * KiB);
  } finally {
    await writer.stop();
  }
  const pivoted = await lab.ops.pivot(lab.vda);
  assertEquals(pivoted.phase, "pivoted");
  assertEquals(pivoted.options, { synchronousWrites: true, ...TUNING });
  assertEquals((await chainPaths(lab.dom.uuid, "vda"))[0], dest);
  // Every guest write reached the copy: the old top and the copy read the same.
  await assertIdentical(top, dest);
});

Deno.test("not converging: a plain copy of the same busy disk is flagged after 30 s of growth", async () => {
  await using lab = await jobLab({ name: uniqueName(PREFIX), disks: BUSY_DISK });
  const dest = `${lab.dom.dir}/plain.qcow2`;
  await lab.ops.startCopy(lab.vda, { dest, shallow: true, bandwidthBytes: 256 * KiB, ...TUNING });
  const startedAt = Date.now();
  const writer = guestWriter(lab.dom.uuid, 32);
  try {
    const flagged = await waitFor("not converging", () => {
      const job = lab.monitor.getJob(lab.dom.uuid, "vda");
      return Promise.resolve(job?.notConverging ? job : null);
    }, { timeoutMs: 60_000, intervalMs: 250 });
    const after = Date.now() - startedAt;
    assert(after >= 30_000, `flagged after only ${after} ms`);
    assertEquals(flagged.phase, "running");
    assert(flagged.end - flagged.cur > 10 * MiB, `remaining ${flagged.end - flagged.cur}`);
    assertStringIncludes(flagged.notConverging!, "not converging: the remaining bytes grew from");
    assertStringIncludes(flagged.notConverging!, "--synchronous-writes");
    assertStringIncludes(flagged.notConverging!, "raise or remove the bandwidth limit");
  } finally {
    await writer.stop();
  }
  const aborted = await lab.ops.abort(lab.vda);
  assertEquals(aborted.notConverging, null);
});

Deno.test("granularity and buffer size at their limits are accepted by real virsh", async () => {
  await using lab = await jobLab({ name: uniqueName(PREFIX), persistent: false });
  const cases = [
    { granularity: 512, bufSize: 512 },
    { granularity: 64 * MiB, bufSize: 1024 * MiB },
  ];
  for (const [i, tuning] of cases.entries()) {
    const job = await lab.ops.startCopy(lab.vda, {
      dest: `${lab.dom.dir}/limits-${i}.qcow2`,
      bandwidthBytes: 64 * KiB,
      ...tuning,
    });
    assertEquals(job.phase, "running");
    assertEquals(job.options, tuning);
    assertStringIncludes(
      job.command!,
      `--granularity ${tuning.granularity} --buf-size ${tuning.bufSize}`,
    );
    assertEquals((await rawJob(lab.dom.uuid, "vda"))?.type, "copy");
    await lab.ops.abort(lab.vda);
    await waitFor("no job", async () => (await rawJob(lab.dom.uuid, "vda")) === null);
  }
});

Deno.test("keep relative: pull and commit on a chain with relative names keep them relative", async () => {
  await using lab = await jobLab({
    name: uniqueName(PREFIX),
    persistent: false,
    disks: [{ target: "vda", layers: 4, relativeBacking: true }],
  });
  const [top, snap2, snap1, base] = lab.dom.disks[0].chain;
  assertEquals(await backingFilename(top), "snap2.qcow2");
  // Pull snap2 into the top, keeping snap1 and below: the top's new backing name stays relative.
  const plan = await lab.ops.preview(lab.vda, {
    op: "pull",
    input: { base: snap1, keepRelative: true },
  });
  assertEquals(plan.argv.slice(-3), ["--base", snap1, "--keep-relative"]);
  await lab.ops.startPull(lab.vda, { base: snap1, keepRelative: true });
  assertEquals((await waitPhase(lab.monitor, lab.vda, ["completed", "failed"])).phase, "completed");
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [top, snap1, base]);
  assertEquals(await backingFilename(top), "snap1.qcow2");
  // Commit snap1 into base: the top's new backing name stays relative too.
  const job = await lab.ops.startCommit(lab.vda, { top: snap1, base, keepRelative: true });
  assertEquals(job.options, { keepRelative: true });
  assertEquals((await waitPhase(lab.monitor, lab.vda, ["completed", "failed"])).phase, "completed");
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [top, base]);
  assertEquals(await backingFilename(top), "base.qcow2");
  assert(await exists(snap2), "without delete the pulled layer stays on disk");
  // Control: the same pull without the flag writes an absolute name.
  await using plain = await jobLab({
    name: uniqueName(PREFIX),
    persistent: false,
    disks: [{ target: "vda", layers: 3, relativeBacking: true }],
  });
  const [plainTop, , plainBase] = plain.dom.disks[0].chain;
  await plain.ops.startPull(plain.vda, { base: plainBase });
  assertEquals(
    (await waitPhase(plain.monitor, plain.vda, ["completed", "failed"])).phase,
    "completed",
  );
  assertEquals(await backingFilename(plainTop), plainBase);
  // On a chain with absolute names libvirt refuses: a 400 on keepRelative, no job left behind.
  await using absolute = await jobLab({ name: uniqueName(PREFIX), persistent: false });
  const [absTop, , absBase] = absolute.dom.disks[0].chain;
  const refused = await assertRejects(
    () => absolute.ops.startPull(absolute.vda, { base: absBase, keepRelative: true }),
    JobInputError,
  );
  assertEquals(refused.field, "keepRelative");
  assertStringIncludes(refused.message, "a backing file name in this chain is absolute");
  assertEquals(absolute.monitor.getJob(absolute.dom.uuid, "vda"), null);
  assertEquals(await rawJob(absolute.dom.uuid, "vda"), null);
  assertEquals(await backingFilename(absTop), absolute.dom.disks[0].chain[1]);
});

Deno.test("commit delete: the committed layers are gone afterwards (plain and active commit)", async () => {
  await using lab = await jobLab({ name: uniqueName(PREFIX), persistent: false });
  const [top, snap1, base] = lab.dom.disks[0].chain;
  const job = await lab.ops.startCommit(lab.vda, { top: snap1, base, delete: true });
  assertEquals(job.options, { delete: true });
  assertStringIncludes(job.command!, "--delete");
  assertEquals((await waitPhase(lab.monitor, lab.vda, ["completed", "failed"])).phase, "completed");
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [top, base]);
  await waitFor("snap1 deleted", async () => !(await exists(snap1)));
  assert(await exists(base));
  // Active commit with delete: the top goes once pivoted.
  await lab.ops.startCommit(lab.vda, { delete: true });
  await waitPhase(lab.monitor, lab.vda, ["ready"]);
  assert(await exists(top), "nothing is deleted before the pivot");
  assertEquals((await lab.ops.pivot(lab.vda)).phase, "pivoted");
  assertEquals(await chainPaths(lab.dom.uuid, "vda"), [base]);
  await waitFor("top deleted", async () => !(await exists(top)));
  assert(await exists(base));
});

Deno.test("commit delete is refused while another domain (running or shut off) uses a layer; nothing changes", async () => {
  await using lab = await jobLab({ name: uniqueName(PREFIX), persistent: false });
  const [top, snap1, base] = lab.dom.disks[0].chain;
  await using app = await labApp({ runner: lab.runner, roots: [] });
  const commit = (json: unknown) =>
    app.request(`/api/v1/domains/${encodeURIComponent(lab.dom.name)}/disks/vda/commit`, { json });
  const stat = async () =>
    await Promise.all([top, snap1, base].map(async (p) => (await Deno.stat(p)).mtime?.getTime()));

  for (const running of [true, false]) {
    // A second domain whose disk is an overlay of this domain's snap1 (and so of its base).
    await using other = await createLabDomain({
      name: uniqueName(PREFIX),
      persistent: !running,
      running,
      disks: [{ target: "vda", layers: 1, sharedBacking: snap1 }],
    });
    const before = await stat();
    const refused = await assertRejects(
      () => lab.ops.startCommit(lab.vda, { top: snap1, base, delete: true }),
      JobConflictError,
    );
    assertEquals(refused.reason, "in-use");
    const user = running ? `domain ${other.name}, disk vda` : `domain ${other.name}`;
    assertStringIncludes(
      refused.message,
      `commit with delete would delete ${snap1}, which ${user}`,
    );
    // The same through the API: 409 with the sentence.
    app.calls.length = 0;
    const res = await commit({ top: snap1, base, delete: true });
    const body = await res.json();
    assertEquals(res.status, 409, JSON.stringify(body));
    assertEquals(body.error.code, "conflict");
    assertStringIncludes(body.error.message, snap1);
    assertStringIncludes(body.error.message, other.name);
    assertEquals(app.calls.filter((c) => c[0] === "blockcommit"), []);
    // Nothing changed: same chain, no job, every file there and untouched.
    assertEquals(await chainPaths(lab.dom.uuid, "vda"), [top, snap1, base]);
    assertEquals(await rawJob(lab.dom.uuid, "vda"), null);
    assertEquals(await stat(), before);
  }
  // With the other domain gone, the same commit runs and deletes snap1.
  await lab.ops.startCommit(lab.vda, { top: snap1, base, delete: true });
  assertEquals((await waitPhase(lab.monitor, lab.vda, ["completed", "failed"])).phase, "completed");
  await waitFor("snap1 deleted", async () => !(await exists(snap1)));
});
