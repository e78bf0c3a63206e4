/**
 * After a pivot the whole chain libvirt reports is compared with the planned one. Real libvirt
 * cannot be made to pivot onto a chain other than the one its own blockcopy set up, so the
 * after-pivot XML here is the captured one of a *full* copy (copy.qcow2 alone) while the plan was
 * a shallow copy: exactly the "guest lost everything below its top layer" case.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobOperations } from "../../server/jobs/operations.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { fixture, IMG, NO_JOB, rawInfo, VM1 } from "./fixtures.ts";

async function world() {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "bb-pivot-chain-" }));
  const xml = (name: string) => fixture(name).replaceAll(IMG, dir);
  const state = { copying: false, pivoted: false };
  const runner = new FakeRunner((args) => {
    const [cmd] = args;
    if (cmd === "domstate") return "running\n\n";
    if (cmd === "list") return args.includes("--persistent") ? `${VM1.uuid}\n\n` : "\n";
    if (cmd === "dumpxml") {
      if (state.pivoted) return xml("dumpxml-after-pivot.xml");
      return xml(state.copying ? "dumpxml-copy-ready.xml" : "dumpxml-vm1-running.xml");
    }
    if (cmd === "blockcopy") {
      state.copying = true;
      return "\n";
    }
    if (cmd === "blockjob" && args.includes("--pivot")) {
      state.pivoted = true;
      return "\n";
    }
    if (cmd === "blockjob" && args.includes("--info")) {
      return state.copying && !state.pivoted ? rawInfo("Block Copy", 1, 1) : NO_JOB;
    }
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  const monitor = new JobMonitor(runner, { sampling: false, events: false });
  const ops = new JobOperations(runner, monitor, {
    pivotRetryDelayMs: 1,
    lstat: () => Promise.resolve({ isFile: true } as Deno.FileInfo),
  });
  return {
    dir,
    ops,
    ref: { uuid: VM1.uuid, target: "vda" },
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("pivot: a chain that is not the planned one is reported loudly in the job", async () => {
  const w = await world();
  try {
    await w.ops.startCopy(w.ref, { dest: `${w.dir}/copy.qcow2`, shallow: true });
    const job = await w.ops.pivot(w.ref);
    assertEquals(job.phase, "pivoted");
    assertStringIncludes(job.message ?? "", "CHAIN MISMATCH");
    assertStringIncludes(job.message ?? "", "layer 1 below the top is missing");
    assertStringIncludes(job.message ?? "", `${w.dir}/snap1.qcow2`);
  } finally {
    await w.cleanup();
  }
});

Deno.test("pivot: the planned chain reported by libvirt passes without a warning", async () => {
  const w = await world();
  try {
    await w.ops.startCopy(w.ref, { dest: `${w.dir}/copy.qcow2` });
    const job = await w.ops.pivot(w.ref);
    assertEquals(job.phase, "pivoted");
    assert(!(job.message ?? "").includes("MISMATCH"), job.message);
  } finally {
    await w.cleanup();
  }
});
