/**
 * Operations against a scripted libvirt: pivot readiness and retries, conflicts, unknown disks,
 * domains that cannot run jobs, and a start that fails.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { JobConflictError, NotFoundError } from "../../server/jobs/errors.ts";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobOperations } from "../../server/jobs/operations.ts";
import { fixture, NO_JOB, rawInfo, VM1 } from "./fixtures.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const MiB = 1024 * 1024;

/** A fake libvirt with one copy on vda whose readiness and pivot behaviour the test sets. */
function fakeLibvirt(state: { ready: boolean; pivotFailures: string[]; pivoted: boolean }) {
  return new FakeRunner((args) => {
    const [cmd] = args;
    if (cmd === "domstate") return "running\n\n";
    if (cmd === "domstats") return fixture("domstats-all.txt");
    if (cmd === "list") {
      return args.includes("--persistent") ? `${VM1.uuid}\n\n` : `${VM1.uuid} ${VM1.name}\n\n`;
    }
    if (cmd === "dumpxml") {
      if (state.pivoted) return fixture("dumpxml-after-pivot.xml");
      return fixture(state.ready ? "dumpxml-copy-ready.xml" : "dumpxml-copy-not-ready.xml");
    }
    if (cmd === "blockjob" && args.includes("--pivot")) {
      const failure = state.pivotFailures.shift();
      if (failure) return { error: failure };
      state.pivoted = true;
      return "\n";
    }
    if (cmd === "blockjob" && args.includes("--info")) {
      return state.pivoted || !args.includes("vda") ? NO_JOB : rawInfo("Block Copy", MiB, MiB);
    }
    throw new Error(`unexpected ${args.join(" ")}`);
  });
}

function operations(runner: FakeRunner) {
  const monitor = new JobMonitor(runner, { sampling: false, events: false });
  const exists = () => Promise.resolve({ isFile: true } as Deno.FileInfo);
  return {
    monitor,
    ops: new JobOperations(runner, monitor, { pivotRetryDelayMs: 1, lstat: exists }),
  };
}

Deno.test("pivot before ready: 409 not-ready and no pivot is run", async () => {
  const runner = fakeLibvirt({ ready: false, pivotFailures: [], pivoted: false });
  const { ops } = operations(runner);
  const e = await assertRejects(
    () => ops.pivot({ uuid: VM1.uuid, target: "vda" }),
    JobConflictError,
  );
  assertEquals(e.reason, "not-ready");
  assertEquals(runner.calls.filter((c) => c.includes("--pivot")).length, 0);
});

Deno.test("pivot retries 'not ready for pivot yet' and verifies live and persistent XML", async () => {
  const state = {
    ready: true,
    pivotFailures: [
      "block copy still active: block job 'copy-vda-libvirt-1-format' not ready for pivot yet",
      "Timed out during operation: cannot acquire state change lock",
    ],
    pivoted: false,
  };
  const runner = fakeLibvirt(state);
  const { ops } = operations(runner);
  const job = await ops.pivot({ uuid: VM1.uuid, target: "vda" });
  assertEquals(job.phase, "pivoted");
  assertEquals(job.adopted, true); // the monitor had not seen it: adopted before the pivot
  assertEquals(job.message?.includes("Warning"), false);
  assertEquals(runner.calls.filter((c) => c.includes("--pivot")).length, 3);
  assert(runner.calls.some((c) => c[0] === "dumpxml" && c.includes("--inactive")));
});

Deno.test("pivot that libvirt keeps refusing surfaces as a 409 after bounded retries", async () => {
  const msg =
    "block copy still active: block job 'copy-vda-libvirt-1-format' not ready for pivot yet";
  const runner = fakeLibvirt({ ready: true, pivotFailures: Array(10).fill(msg), pivoted: false });
  const { ops } = operations(runner);
  const e = await assertRejects(
    () => ops.pivot({ uuid: VM1.uuid, target: "vda" }),
    JobConflictError,
  );
  assertEquals(e.reason, "not-ready");
  assertEquals(runner.calls.filter((c) => c.includes("--pivot")).length, 5);
});

Deno.test("start on a disk with a job → 409; unknown disk → 404; shut-off domain → 409", async () => {
  const runner = fakeLibvirt({ ready: false, pivotFailures: [], pivoted: false });
  const { ops } = operations(runner);
  const busy = await assertRejects(
    () => ops.startPull({ uuid: VM1.uuid, target: "vda" }, {}),
    JobConflictError,
  );
  assertEquals(busy.reason, "job-exists");
  await assertRejects(() => ops.startPull({ uuid: VM1.uuid, target: "vdz" }, {}), NotFoundError);
  runner.script = (args) =>
    args[0] === "domstate"
      ? "shut off\n"
      : args[0] === "list"
      ? "\n"
      : fixture("dumpxml-vm1-shutoff.xml");
  const off = await assertRejects(
    () => ops.startPull({ uuid: VM1.uuid, target: "vda" }, {}),
    JobConflictError,
  );
  assertEquals(off.reason, "not-running");
  runner.script = () => ({ error: "failed to get domain '" + VM1.uuid + "'" });
  await assertRejects(() => ops.startPull({ uuid: VM1.uuid, target: "vda" }, {}), NotFoundError);
});

Deno.test("a failed start leaves no phantom job", async () => {
  const runner = new FakeRunner((args) => {
    if (args[0] === "domstate") return "running\n";
    if (args[0] === "list") return "\n";
    if (args[0] === "dumpxml") return fixture("dumpxml-vm1-running.xml");
    if (args[0] === "blockjob") return NO_JOB;
    return { error: "internal error: unable to execute QEMU command 'block-stream': boom" };
  });
  const { ops, monitor } = operations(runner);
  await assertRejects(() => ops.startPull({ uuid: VM1.uuid, target: "vda" }, {}));
  assertEquals(monitor.getJob(VM1.uuid, "vda"), null);
});

Deno.test("a started job carries the exact command line that started it", async () => {
  const runner = new FakeRunner((args) => {
    if (args[0] === "domstate") return "running\n";
    if (args[0] === "list") {
      return args.includes("--persistent") ? "\n" : `${VM1.uuid} ${VM1.name}\n\n`;
    }
    if (args[0] === "dumpxml") return fixture("dumpxml-vm1-running.xml");
    if (args[0] === "blockjob") return NO_JOB;
    if (args[0] === "blockpull") return "Block Pull started\n";
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  const { ops, monitor } = operations(runner);
  const job = await ops.startPull({ uuid: VM1.uuid, target: "vda" }, {});
  const pull = runner.calls.find((c) => c[0] === "blockpull")!;
  assertEquals(job.command, `virsh -c ${runner.uri} ${pull.join(" ")}`);
  assertEquals(monitor.getJob(VM1.uuid, "vda")?.command, job.command);
});
