/**
 * Fixtures of the job tests: canned `blockjob` output and the captured domain's paths. The runner
 * itself is the suite's one {@link FakeRunner}.
 *
 * @module
 */

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
