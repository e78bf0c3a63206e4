/**
 * QEMU's JOB_STATUS_CHANGE lines (captured from `virsh qemu-monitor-event --loop --timestamp` on
 * the lab while a plain-virsh blockpull ran and was aborted) and the watcher that relays
 * `created` to the monitor.
 */
import { assertEquals } from "@std/assert";
import { JobStartWatcher, parseQemuJobEvent } from "../../server/jobs/job_starts.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const CAPTURED = [
  `2026-11-29 07:33:05.003+0000: event JOB_STATUS_CHANGE for domain 'bbt-mx1iv8me-1-c73a32': {"status":"created","id":"pull-vda-libvirt-1-format"}`,
  `2026-11-29 07:33:05.003+0000: event JOB_STATUS_CHANGE for domain 'bbt-mx1iv8me-1-c73a32': {"status":"running","id":"pull-vda-libvirt-1-format"}`,
  `2026-11-29 07:33:07.029+0000: event JOB_STATUS_CHANGE for domain 'bbt-mx1iv8me-1-c73a32': {"status":"concluded","id":"pull-vda-libvirt-1-format"}`,
];

Deno.test("parseQemuJobEvent: domain, job id, status and the disk target of a libvirt job id", () => {
  assertEquals(parseQemuJobEvent(CAPTURED[0]), {
    domain: "bbt-mx1iv8me-1-c73a32",
    id: "pull-vda-libvirt-1-format",
    status: "created",
    target: "vda",
  });
  // Names may hold quotes and colons; the JSON is the last thing on the line.
  assertEquals(
    parseQemuJobEvent(
      `event JOB_STATUS_CHANGE at 1.000002 for domain 'it's: {odd}': {"status":"created","id":"backup-sdb-x"}`,
    )?.domain,
    "it's: {odd}",
  );
  assertEquals(parseQemuJobEvent("event 'lifecycle' for domain 'x': Started Booted"), null);
  assertEquals(parseQemuJobEvent(`event JOB_STATUS_CHANGE for domain 'x': {not json}`), null);
  assertEquals(
    parseQemuJobEvent(`event JOB_STATUS_CHANGE for domain 'x': {"status":"created","id":"job7"}`)
      ?.target,
    null,
  );
});

Deno.test("the watcher reports each created job once, from one long-lived virsh", async () => {
  const created: [string, string | null][] = [];
  const runner = new FakeRunner((_args, options) =>
    new Promise((resolve) => {
      // Chunks split mid-line, as a pipe delivers them.
      const text = CAPTURED.join("\n") + "\n";
      options.onStdout?.(text.slice(0, 50));
      options.onStdout?.(text.slice(50));
      options.signal?.addEventListener("abort", () => resolve(""), { once: true });
    })
  );
  const watcher = new JobStartWatcher(runner, { onCreated: (d, t) => created.push([d, t]) });
  watcher.start();
  await new Promise((r) => setTimeout(r, 10));
  await watcher.stop();
  assertEquals(created, [["bbt-mx1iv8me-1-c73a32", "vda"]]);
  assertEquals(runner.calls, [[
    "qemu-monitor-event",
    "--loop",
    "--timestamp",
    "--event",
    "JOB_STATUS_CHANGE",
  ]]);
});
