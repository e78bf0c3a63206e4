import { assertEquals } from "@std/assert";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { FakeRunner } from "../support/fake_runner.ts";

Deno.test("the event log receives every raw event line from the monitor's single listener", () => {
  const monitor = new JobMonitor(new FakeRunner(), { sampling: false, events: false });
  const seen: string[] = [];
  const off = monitor.onEventLine((l) => seen.push(l));
  const line =
    "2026-11-25 19:51:42.437+0000: event 'block-job-2' for domain 'vm1': Block Copy for vda ready";
  monitor.events.handleLine(line);
  off();
  monitor.events.handleLine("event 'lifecycle' for domain 'vm1': Stopped Destroyed");
  assertEquals(seen, [line]);
});
