/**
 * Which process owns a lab domain, and whether it still runs: a later `deno task lab` removes the
 * domains of test runs that died, and never those of a test run going on in parallel.
 *
 * @module
 */
import type { LabOwner } from "./domain_xml.ts";

/** This boot's id (/proc/sys/kernel/random/boot_id). */
export function bootId(): string {
  return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
}

/** A process's start time in clock ticks since boot, or undefined when it does not exist. */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(rest[19]); // field 22 overall
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** The ownership record for a domain this process creates now. */
export function currentOwner(role: LabOwner["role"], dir: string): LabOwner {
  const pid = Deno.pid;
  return { role, dir, pid, startTicks: processStartTicks(pid) ?? 0, bootId: bootId() };
}

/** True while the process that wrote `owner` still runs (same boot, same pid, same start time). */
export function ownerAlive(owner: LabOwner): boolean {
  if (owner.bootId !== bootId()) return false;
  return processStartTicks(owner.pid) === owner.startTicks;
}
