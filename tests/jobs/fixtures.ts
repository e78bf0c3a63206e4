/**
 * Fixtures of the job tests: canned `blockjob` output, the captured domain's paths, and a monitor
 * on a fake clock over the suite's one {@link FakeRunner}.
 *
 * @module
 */
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { FakeRunner } from "../support/fake_runner.ts";

/** `blockjob --info --raw --bytes` output. */
export function rawInfo(type: string, cur: number, end: number, bandwidth = 0): string {
  return ` type=${type}\n bandwidth=${bandwidth}\n cur=${cur}\n end=${end}\n\n`;
}

/** `blockjob --info --raw --bytes` output when there is no job. */
export const NO_JOB = "\n";

/** A fixture file's text. */
export function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/virsh/${name}`, import.meta.url));
}

/** The fixtures' domain. */
export const VM1 = { uuid: "704cf090-1533-475a-a0f6-1f81adb2fb5c", name: "bbfix-vm1" };
/** Paths of the fixtures' vda chain. */
export const IMG = "/var/lib/libvirt/images/bbfix";

/** `virsh list --all --uuid --name` naming VM1. */
export const LIST = `${VM1.uuid} ${VM1.name}\n\n`;

/** A monitor on a fake clock with no timers: the test drives tick() and events. */
export function monitorOnFakeClock(handler: ConstructorParameters<typeof FakeRunner>[0]) {
  const clock = { now: 1_700_000_000_000 };
  const runner = new FakeRunner(handler);
  const monitor = new JobMonitor(runner, {
    now: () => clock.now,
    sampling: false,
    events: false,
    vanishGraceMs: 1500,
  });
  return { clock, runner, monitor };
}

/** Books a 1 MiB/s copy of VM1's vda as an operation would (begun and confirmed). */
export function startCopy(monitor: JobMonitor) {
  monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target: "vda",
    type: "copy",
    bandwidthBytes: 1024 * 1024,
    dest: `${IMG}/copy.qcow2`,
    source: `${IMG}/snap2.qcow2`,
  });
  monitor.book.confirm({ uuid: VM1.uuid, target: "vda" });
}
