/**
 * Process helpers for the test lab: argv arrays only (never a shell), `LC_ALL=C`, a deadline that
 * kills, and results instead of exceptions so that callers decide what a failure means.
 *
 * @module
 */

/** What a finished command printed. `code` is -1 when it could not start or was killed. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link exec}. */
export interface ExecOptions {
  /** Kill the process after this many milliseconds (default 120 s). */
  timeoutMs?: number;
}

/** The libvirt connection every lab helper talks to. */
export const LAB_URI = "qemu:///system";

/**
 * Runs `binary ...args` and returns its exit code and output. Never throws: a missing binary or a
 * timeout comes back as `code: -1` with the reason in `stderr`.
 */
export async function exec(
  binary: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(binary, {
      args: [...args],
      env: { LC_ALL: "C", LANG: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    return { code: -1, stdout: "", stderr: `cannot start ${binary}: ${e}` };
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    const stdout = decoder.decode(out.stdout);
    const stderr = decoder.decode(out.stderr);
    if (timedOut) {
      return { code: -1, stdout, stderr: `${stderr}\n${binary} killed after ${timeoutMs} ms` };
    }
    return { code: out.code, stdout, stderr };
  } catch (e) {
    return { code: -1, stdout: "", stderr: `${binary} failed: ${e}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `virsh -c LAB_URI ...args` with `LC_ALL=C`. Never throws. */
export function labVirsh(...args: string[]): Promise<ExecResult> {
  return exec("virsh", ["-c", LAB_URI, ...args]);
}

/** Runs `qemu-img ...args`. Never throws. Always pass `-f`: format probing is unsafe. */
export function qemuImg(...args: string[]): Promise<ExecResult> {
  return exec("qemu-img", args);
}

/** Runs `qemu-io ...args`. Never throws. Always pass `-f`. */
export function qemuIo(...args: string[]): Promise<ExecResult> {
  return exec("qemu-io", args);
}

/**
 * Like {@link exec} but throws an error naming the command and its stderr when it fails; `run`
 * runs it somewhere else (a lab host's namespaces) instead of on this machine.
 */
export async function mustExec(
  binary: string,
  args: readonly string[],
  run: (binary: string, args: readonly string[]) => Promise<ExecResult> = exec,
): Promise<ExecResult> {
  const result = await run(binary, args);
  if (result.code !== 0) {
    throw new Error(
      `${binary} ${args.join(" ")} exited ${result.code}: ${
        (result.stderr || result.stdout).trim()
      }`,
    );
  }
  return result;
}

/** Like {@link labVirsh} but throws when virsh fails. */
export function mustVirsh(...args: string[]): Promise<ExecResult> {
  return mustExec("virsh", ["-c", LAB_URI, ...args]);
}

/**
 * A disk-only external snapshot made with plain virsh, as an operator would outside blockboard:
 * `file` becomes the new top layer of `target`; every other disk in `skip` is left alone.
 */
export function labDiskOnlySnapshot(
  uuid: string,
  target: string,
  file: string,
  skip: readonly string[] = [],
): Promise<ExecResult> {
  return labVirsh(
    "snapshot-create-as",
    "--domain",
    uuid,
    "--disk-only",
    "--no-metadata",
    "--diskspec",
    `${target},file=${file}`,
    ...skip.flatMap((t) => ["--diskspec", `${t},snapshot=no`]),
  );
}

/** Options of {@link labOutsideCopy}. */
export interface LabOutsideCopyOptions {
  /** Throttle in bytes/s (default 1 MiB/s: a lab disk takes seconds to minutes to copy). */
  bytesPerSecond?: number;
  /** `--transient-job` (a persistent domain needs it). */
  transientJob?: boolean;
}

/**
 * A throttled `virsh blockcopy` of `target` into a new qcow2 `dest`, started with plain virsh as
 * an operator would outside blockboard, so the job is still running while the test looks.
 * Throws naming virsh's error when it does not start.
 */
export function labOutsideCopy(
  uuid: string,
  target: string,
  dest: string,
  options: LabOutsideCopyOptions = {},
): Promise<ExecResult> {
  return mustVirsh(
    "blockcopy",
    "--domain",
    uuid,
    "--path",
    target,
    "--dest",
    dest,
    "--format",
    "qcow2",
    ...(options.transientJob ? ["--transient-job"] : []),
    "--bandwidth",
    String(options.bytesPerSecond ?? 1024 * 1024),
    "--bytes",
  );
}

/**
 * `qemu-img rebase -u`: rewrites qcow2 `image`'s header to back onto qcow2 `backing` without
 * touching data, as an operator sharing or moving a base by hand would. Throws when it fails.
 */
export function labRebaseHeader(image: string, backing: string): Promise<ExecResult> {
  return mustExec("qemu-img", [
    "rebase",
    "-u",
    "-f",
    "qcow2",
    "-b",
    backing,
    "-F",
    "qcow2",
    image,
  ]);
}
