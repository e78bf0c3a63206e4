/**
 * Child processes that lead their own process group (`setsid`), so a deadline or an abort kills
 * everything they started, not only the first process. virsh and qemu-img run this way; `setsid`
 * execs the binary directly (no shell, no fork) when run from here.
 *
 * @module
 */

/**
 * Starts `binary ...args` under `setsid` with `LC_ALL=C`, stdin closed and stdout/stderr piped.
 * When `setsid` itself cannot be found, throws what `missing()` returns (the caller's typed
 * error); any other spawn failure is rethrown as it is.
 */
export function spawnInOwnGroup(
  binary: string,
  args: readonly string[],
  missing: () => Error,
): Deno.ChildProcess {
  try {
    return new Deno.Command("setsid", {
      args: [binary, ...args],
      env: { LC_ALL: "C", LANG: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw missing();
    throw e;
  }
}

/**
 * SIGKILLs the process group `child` leads; when the group is already gone (or was never one),
 * the child alone. Never throws: a process that has exited needs no killing.
 */
export function killProcessGroup(child: Deno.ChildProcess): void {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}
