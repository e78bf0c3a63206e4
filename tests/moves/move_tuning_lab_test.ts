/**
 * A live move with the busy-host mirror options: `synchronousWrites` (and a granularity and a
 * buffer) reach the blockcopy libvirt runs, the mirror becomes ready and the switch lands. The
 * rate-limited layer copies print a progress tick per percent; listeners hear them at most once
 * per 250 ms.
 */
import { assert, assertEquals, assertStringIncludes } from "../std_assert.ts";
import { createLabDomain, labVirsh, uniqueName } from "../lab/lab.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { moveLab, sameGuestView, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "live move with synchronous writes, granularity and buffer: ready, then switched; progress heard 250 ms apart",
  opts,
  async () => {
    await using lab = await moveLab({}, "bbmm-");
    await using dom = await createLabDomain({ name: uniqueName("bbmm-"), persistent: true });
    const old = dom.disks[0].chain;
    const dest = `${lab.destRoot}/tuned`;
    // Every notification while a layer copies at a limited rate (each percent is a convert tick).
    const heard: { at: number; key: string }[] = [];
    const stop = lab.engine.onChange((m) => {
      if (m.state !== "copying") return;
      heard.push({ at: performance.now(), key: m.disks[0].layers.map((l) => l.state).join(",") });
    });
    const started = await lab.engine.start(dom.uuid, {
      destDir: dest,
      pivot: "manual",
      bandwidthBytes: 4 * 1048576,
      synchronousWrites: true,
      granularity: 65536,
      bufSize: 1048576,
    });
    const plan = lab.engine.getPlan(started.id)!;
    assertEquals(plan.tuning, { synchronousWrites: true, granularity: 65536, bufSize: 1048576 });
    assertStringIncludes(
      plan.disks[0].commands.at(-1)!.commandLine,
      "--transient-job --synchronous-writes --granularity 65536 --buf-size 1048576",
    );
    const ready = await waitMove(lab.engine, started.id, ["ready"]);
    stop();
    // Mere progress (same layer states as the notification before) comes 250 ms apart at least.
    const ticks = heard.filter((h, i) => i > 0 && heard[i - 1].key === h.key);
    assert(ticks.length >= 2, `progress was heard while copying (${ticks.length} ticks)`);
    for (const [i, h] of heard.entries()) {
      if (i === 0 || heard[i - 1].key !== h.key) continue;
      assert(h.at - heard[i - 1].at >= 249, `ticks ${Math.round(h.at - heard[i - 1].at)} ms apart`);
    }
    assertEquals(ready.disks[0].job?.phase, "ready");
    assertEquals(ready.disks[0].job?.notConverging ?? null, null);
    // The job libvirt runs is the one planned: the monitor's record of what it started.
    const job = lab.monitor.getJob(dom.uuid, "vda")!;
    assertEquals(job.options, { synchronousWrites: true, granularity: 65536, bufSize: 1048576 });
    assertStringIncludes(job.command ?? "", "--synchronous-writes --granularity 65536");
    await lab.engine.pivot(started.id);
    const done = await waitMove(lab.engine, started.id, ["done"]);
    assert(done.finishedAt !== null);
    assertEquals((await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path), [
      `${dest}/snap2.qcow2`,
      `${dest}/snap1.qcow2`,
      `${dest}/base.qcow2`,
    ]);
    assert(await sameGuestView(old[0], `${dest}/snap2.qcow2`));
    assertEquals((await labVirsh("domstate", "--domain", dom.uuid)).stdout.trim(), "running");
  },
);
