/**
 * libvirtd restarted in the middle of a copy: the `virsh event` listener dies (`client socket is
 * closed`), events in the gap are lost, the job and its `<mirror>` survive. The monitor must
 * reconnect, resync, and the copy must still be pivotable.
 *
 * This restarts the shared daemon, so it lives in its own file; test files run one at a time.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { ensureDaemons, libvirtdPid } from "../lab/host.ts";
import { waitFor } from "../lab/lab.ts";
import { chainPaths, jobLab, rawJob, waitPhase } from "./lab_harness.ts";

const MiB = 1024 * 1024;

Deno.test("libvirtd restarted mid-copy: the job is rediscovered, reaches ready and can be pivoted", async () => {
  await using lab = await jobLab({ persistent: false });
  const dest = `${lab.dom.dir}/copy.qcow2`;
  await lab.ops.startCopy(lab.vda, { dest, bandwidthBytes: MiB });
  await waitPhase(lab.monitor, lab.vda, ["running"]);
  const before = libvirtdPid();

  await ensureDaemons(true, () => {});
  const restartedAt = Date.now();
  const after = libvirtdPid();
  assertEquals(after !== undefined && after !== before, true, `libvirtd pid ${before} → ${after}`);

  // The job survived in QEMU and libvirt; the monitor reconnects and resyncs after the gap.
  const info = await rawJob(lab.dom.uuid, "vda");
  assertEquals(info?.type, "copy");
  // The listener's restart asks for a resync, whose `list` is the monitor's next word from libvirt.
  await waitFor(
    "the monitor to reach libvirt again after the restart",
    () => {
      const seen = lab.monitor.libvirt.snapshot().lastSeenAt;
      return Promise.resolve(seen !== null && Date.parse(seen) > restartedAt);
    },
    { timeoutMs: 30_000 },
  );
  const tracked = lab.monitor.getJob(lab.dom.uuid, "vda");
  assertEquals(tracked?.type, "copy");
  assertEquals(tracked?.dest, dest);

  // Still controllable: lift the limit, wait for ready, pivot onto the copy.
  await lab.ops.setBandwidth(lab.vda, 0);
  await waitPhase(lab.monitor, lab.vda, ["ready"], { timeoutMs: 60_000 });
  const pivoted = await lab.ops.pivot(lab.vda);
  assertEquals(pivoted.phase, "pivoted");
  assertStringIncludes(pivoted.outcome ?? "", dest);
  assertEquals((await chainPaths(lab.dom.uuid, "vda"))[0], dest);
});
