/**
 * The figures of a live move on real VMs, as QA read them: a qcow2 chain and a raw disk (64 MiB,
 * 16 MiB of it written) moved at 4 MiB/s. The Review's bytes and the card's totals are the same
 * measure (the raw disk at its virtual size, which its mirror scans), and the rate is bytes over
 * time: never the burst QEMU copies before the first look, the ETA the remainder at that rate.
 */
import { assert, assertEquals } from "../std_assert.ts";
import { createLabDomain, uniqueName } from "../lab/lab.ts";
import type { Move } from "../../server/moves/model.ts";
import { moveLab, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MiB = 1048576;
const LIMIT = 4 * MiB;

Deno.test(
  "a raw disk counts the same in the Review and the card; the rate stays near the limit",
  opts,
  async () => {
    await using lab = await moveLab({}, "bbmq-");
    await using dom = await createLabDomain({
      name: uniqueName("bbmq-"),
      persistent: true,
      disks: [{ target: "vda", layers: 3, sizeMiB: 64 }, {
        target: "vdb",
        format: "raw",
        sizeMiB: 64,
      }],
    });
    const request = { destDir: `${lab.destRoot}/figures`, bandwidthBytes: LIMIT };
    const plan = await lab.engine.plan(dom.uuid, request);
    const rawTop = plan.disks[1].layers[0];
    assertEquals([rawTop.format, rawTop.bytes], ["raw", 64 * MiB], "the mirror scans it whole");
    assert(rawTop.allocatedBytes! < 32 * MiB, `allocated ${rawTop.allocatedBytes}`);
    const started = await lab.engine.start(dom.uuid, { ...request, pivot: "manual" });
    assertEquals(started.bytesTotal, plan.bytesTotal);
    assertEquals(started.rateBytesPerSecond, null, "unknown at the start, not 0");
    const seen: Move[] = [];
    for (;;) {
      const move = lab.engine.get(started.id)!;
      seen.push(move);
      if (move.state === "ready") break;
      assert(!["failed", "canceled", "done"].includes(move.state), move.message ?? move.state);
      await new Promise((r) => setTimeout(r, 100));
    }
    const mirroring = seen.filter((m) => m.state === "mirroring" && m.disks[1].job !== null);
    assert(mirroring.length > 5, `${mirroring.length} looks while mirroring`);
    for (const m of mirroring) {
      // vdb's mirror ends where the Review said; the qcow2 top's end differs from its file's
      // allocated size only by the file's metadata.
      assertEquals(m.disks[1].layers[0].bytes, rawTop.bytes);
      assert(
        Math.abs(m.bytesTotal - plan.bytesTotal) < MiB,
        `${m.bytesTotal} vs ${plan.bytesTotal}`,
      );
      if (m.rateBytesPerSecond === null) {
        assertEquals(m.etaSeconds, null);
        continue;
      }
      assert(
        m.rateBytesPerSecond <= 1.5 * LIMIT,
        `rate ${m.rateBytesPerSecond} at ${m.bytesDone}`,
      );
      assertEquals(m.etaSeconds, Math.ceil((m.bytesTotal - m.bytesDone) / m.rateBytesPerSecond));
    }
    assert(mirroring.some((m) => m.rateBytesPerSecond !== null), "a rate while mirroring");
    await lab.engine.cancel(started.id);
    await waitMove(lab.engine, started.id, ["canceled"]);
  },
);
