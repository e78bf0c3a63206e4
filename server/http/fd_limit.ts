/**
 * The open-file limit: read from `/proc/self/limits`, and the soft limit raised to the hard one at
 * start (`prlimit --pid` from util-linux, argv only), so the front door can size its connection
 * cap from what the process may really open.
 *
 * @module
 */

/** Soft and hard `RLIMIT_NOFILE`; `Infinity` for unlimited. */
export interface FileLimit {
  soft: number;
  hard: number;
}

/** Parses the "Max open files" line of a `/proc/PID/limits` text. Pure. */
export function parseFileLimit(limits: string): FileLimit | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!m) return null;
  const n = (s: string) => s === "unlimited" ? Infinity : Number(s);
  const soft = n(m[1]);
  const hard = n(m[2]);
  return Number.isFinite(soft) || soft === Infinity ? { soft, hard } : null;
}

/** This process's limit, or null where `/proc` is unreadable. */
export function currentFileLimit(): FileLimit | null {
  try {
    return parseFileLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch {
    return null;
  }
}

/**
 * Raises the soft limit to the hard one when it is lower; returns the limit in force afterwards
 * and a sentence when raising failed (the server still starts, with a smaller connection cap).
 */
export async function raiseFileLimit(): Promise<{ limit: FileLimit | null; problem?: string }> {
  const before = currentFileLimit();
  if (!before || before.soft >= before.hard || !Number.isFinite(before.hard)) {
    return { limit: before };
  }
  try {
    const out = await new Deno.Command("prlimit", {
      args: ["--pid", String(Deno.pid), `--nofile=${before.hard}:${before.hard}`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const after = currentFileLimit();
    if (!out.success || !after || after.soft < before.hard) {
      const why = new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`;
      return {
        limit: after ?? before,
        problem: `could not raise the open-file limit to ${before.hard}: ${why}`,
      };
    }
    return { limit: after };
  } catch (e) {
    return {
      limit: before,
      problem: `could not raise the open-file limit (prlimit: ${(e as Error).message})`,
    };
  }
}
