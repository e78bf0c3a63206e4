/**
 * Installs blockboard as a systemd service, or removes it:
 *
 * ```
 * deno task install   [--prefix DIR] [--dry-run] [--binary FILE | --no-compile]
 * deno task uninstall [--prefix DIR] [--dry-run]
 * ```
 *
 * Install puts blockboard at `/usr/local/bin/blockboard` in one of two layouts. First choice, the
 * compiled layout: one binary from `deno compile` (the permissions it needs, `static/`
 * embedded). When `deno compile` cannot get its runtime (denort, downloaded from dl.deno.land
 * unless cached or named by DENORT_BIN), or with `--no-compile`, the run layout
 * (`run_layout.ts`): the app, this Deno and its npm packages under `/usr/local/lib/blockboard`,
 * started by a launcher script with the same permissions and no network. Either way the unit at
 * `/etc/systemd/system/blockboard.service` (replaced: customise with `systemctl edit`), and the
 * example configuration at `/etc/blockboard/blockboard.env` only when no file is there (never
 * overwritten). `systemctl daemon-reload` runs only when systemd is the running init and the
 * prefix is `/`. Re-running it is the upgrade. Uninstall removes the binary or launcher, the
 * run layout's directory and the unit, and keeps the configuration and the data directory (it
 * prints how to remove them). Install prints which layout it chose and why.
 *
 * Exit codes: 0 done, 1 a step failed, 2 bad usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { USAGE } from "../config.ts";
import { APP_FILES, buildRunLayout, checkLauncher, launcherScript } from "./run_layout.ts";

/** The repository's root (this file is `server/cli/install.ts`). */
export const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/**
 * What the installed program may do, in either layout: the compiled binary is built with these
 * flags and the run layout's launcher passes the same ones to `deno run`. Network: listen and answer. Read: the data directory, TLS
 * files, `static/` (embedded), `/proc/self/limits`, the storage roots. Write: the data directory
 * and the temporary directory of its internal socket. Run: virsh, qemu-img, setsid, prlimit.
 * Env: its configuration. Sys: the host name and interface addresses for the Host allowlist. No
 * FFI, no dynamic imports from the network; systemd's sandbox (deploy/blockboard.service) narrows
 * the file system further.
 */
export const SERVICE_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
] as const;

/**
 * `deno compile` arguments (after `compile`) for a binary at `output`. `static/` is read at run
 * time (`server/routes/static.ts`), so it is embedded with `--include`; htmx is imported as text
 * and embedded with the code.
 */
export function compileArgs(output: string): string[] {
  return [
    "compile",
    ...SERVICE_PERMISSIONS,
    "--include",
    `${REPO_ROOT}static`,
    "--output",
    output,
    `${REPO_ROOT}main.ts`,
  ];
}

/**
 * Whether `deno compile` can get its runtime without a download: `DENORT_BIN` names a file, or
 * this Deno version's denort is in the cache (`DENO_DIR/dl/release/vX.Y.Z/`).
 */
export async function denortAvailable(): Promise<boolean> {
  const named = Deno.env.get("DENORT_BIN");
  if (named) return await exists(named);
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const denoDir = (JSON.parse(new TextDecoder().decode(info.stdout)) as { denoDir?: string })
    .denoDir;
  if (!denoDir) return false;
  const dir = `${denoDir}/dl/release/v${Deno.version.deno}`;
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.name.startsWith("denort")) return true;
  } catch {
    return false;
  }
  return false;
}

/** Where things go below the prefix. */
export const INSTALL_PATHS = {
  binary: "usr/local/bin/blockboard",
  unit: "etc/systemd/system/blockboard.service",
  config: "etc/blockboard/blockboard.env",
  /** The run layout's directory (app, Deno, cache); absent in the compiled layout. */
  lib: "usr/local/lib/blockboard",
} as const;

/**
 * `compiled`: one binary from `deno compile`. `run`: the app, Deno and its cache under
 * {@link INSTALL_PATHS.lib} and a launcher script (see `run_layout.ts`).
 */
export type Layout = "compiled" | "run";

/** One thing install or uninstall does. */
export type Step =
  | { kind: "compile"; output: string }
  | { kind: "run-layout"; lib: string }
  | { kind: "write"; to: string; text: string; mode: number }
  | { kind: "check"; launcher: string }
  | { kind: "copy"; from: string; to: string; mode: number; keepExisting: boolean }
  | { kind: "remove"; path: string; tree?: boolean }
  | { kind: "systemctl"; args: string[] }
  | { kind: "note"; text: string };

/** Options of both commands. */
export interface InstallOptions {
  /** Root of the installation; `/` for the real one. */
  prefix: string;
  /** Use this binary instead of compiling one (compiled layout). */
  binary?: string;
  /** Which layout to install. */
  layout: Layout;
  /** Why this layout (printed first); a default sentence when absent. */
  why?: string;
  /** True when systemd is the running init (`/run/systemd/system` exists). */
  systemdRunning: boolean;
  /** A scratch directory for the compiled binary. */
  workDir: string;
}

const join = (prefix: string, rel: string) => `${prefix.replace(/\/+$/, "")}/${rel}`;

/** Whether `systemctl` should be run: a real install on a host whose init is systemd. */
function systemdApplies(o: InstallOptions): boolean {
  return o.systemdRunning && join(o.prefix, "") === "/";
}

/** The first line of an install: which layout and why. Pure. */
function layoutNote(o: InstallOptions): string {
  if (o.why) return `layout: ${o.layout}: ${o.why}`;
  if (o.layout === "run") return "layout: run (--no-compile): app, Deno and its npm cache";
  if (o.binary) return `layout: compiled: installing the given binary ${o.binary}`;
  return "layout: compiled (deno compile); if deno compile cannot get its runtime (denort) " +
    "here, install switches to the run layout";
}

/** The steps that put the program in place, per layout. */
function programSteps(o: InstallOptions): Step[] {
  const lib = join(o.prefix, INSTALL_PATHS.lib);
  const launcher = join(o.prefix, INSTALL_PATHS.binary);
  if (o.layout === "run") {
    return [
      { kind: "run-layout", lib },
      // The launcher names the layout's absolute paths: the run layout runs where it is built.
      { kind: "write", to: launcher, text: launcherScript(lib, SERVICE_PERMISSIONS), mode: 0o755 },
      { kind: "check", launcher },
    ];
  }
  const built = o.binary ?? `${o.workDir}/blockboard`;
  return [
    ...o.binary ? [] : [{ kind: "compile", output: built } as const],
    // Copied to a new name and renamed over the old binary, so a running service keeps its file.
    { kind: "copy", from: built, to: launcher, mode: 0o755, keepExisting: false },
    // A run layout left by an earlier install is no longer used.
    { kind: "remove", path: lib, tree: true },
  ];
}

/** The steps of an install. Pure. */
export function installPlan(o: InstallOptions): Step[] {
  const steps: Step[] = [{ kind: "note", text: layoutNote(o) }, ...programSteps(o)];
  steps.push(
    {
      kind: "copy",
      from: `${REPO_ROOT}deploy/blockboard.service`,
      to: join(o.prefix, INSTALL_PATHS.unit),
      mode: 0o644,
      keepExisting: false,
    },
    {
      // The configuration may hold BLOCKBOARD_TOKEN: readable by root only, never overwritten.
      kind: "copy",
      from: `${REPO_ROOT}deploy/blockboard.env`,
      to: join(o.prefix, INSTALL_PATHS.config),
      mode: 0o600,
      keepExisting: true,
    },
  );
  if (systemdApplies(o)) {
    steps.push({ kind: "systemctl", args: ["daemon-reload"] });
    steps.push({
      kind: "note",
      text:
        "Start it: systemctl enable --now blockboard. After an upgrade: systemctl restart blockboard.",
    });
  } else {
    steps.push({
      kind: "note",
      text: join(o.prefix, "") === "/"
        ? "systemd is not running here: skipped systemctl daemon-reload. On a systemd host run " +
          "systemctl daemon-reload && systemctl enable --now blockboard."
        : `installed below ${o.prefix}: no systemctl call.`,
    });
  }
  return steps;
}

/** The steps of an uninstall. Pure. */
export function uninstallPlan(o: InstallOptions): Step[] {
  const steps: Step[] = [];
  if (systemdApplies(o)) {
    steps.push({ kind: "systemctl", args: ["disable", "--now", "blockboard"] });
  }
  steps.push(
    { kind: "remove", path: join(o.prefix, INSTALL_PATHS.binary) },
    { kind: "remove", path: join(o.prefix, INSTALL_PATHS.lib), tree: true },
    { kind: "remove", path: join(o.prefix, INSTALL_PATHS.unit) },
  );
  if (systemdApplies(o)) steps.push({ kind: "systemctl", args: ["daemon-reload"] });
  steps.push({
    kind: "note",
    text: `kept ${join(o.prefix, "etc/blockboard")} (configuration) and the data directory ` +
      `(BLOCKBOARD_DATA_DIR, /var/lib/blockboard by default: users, tokens, audit log, job ` +
      `history). Remove them by hand if they are no longer wanted.`,
  });
  return steps;
}

/** A step as one line of text (what `--dry-run` prints). Pure. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case "compile":
      return `compile: deno ${compileArgs(step.output).join(" ")}`;
    case "run-layout":
      return `run layout: copy ${APP_FILES.join(" ")} and ${Deno.execPath()} to ${step.lib}, ` +
        `fetch the npm packages into ${step.lib}/cache`;
    case "write":
      return `write: ${step.to} (mode ${step.mode.toString(8)}):\n${step.text.trimEnd()}`;
    case "check":
      return `check: ${step.launcher} --help, offline`;
    case "copy":
      return `${step.keepExisting ? "install if absent" : "install"}: ${step.from} -> ${step.to} ` +
        `(mode ${step.mode.toString(8)})`;
    case "remove":
      return `remove${step.tree ? " directory" : ""}: ${step.path}`;
    case "systemctl":
      return `run: systemctl ${step.args.join(" ")}`;
    case "note":
      return `note: ${step.text}`;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** `deno compile` failed for want of its runtime: the run layout can be installed instead. */
export class DenortUnavailableError extends Error {}

/**
 * Whether `deno compile`'s error is about getting denort (its download, or a DENORT_BIN that is
 * not there), not about the program. Pure.
 */
export function denortMissing(compileError: string): boolean {
  return /Setting up base binary|dl\.deno\.land|denort/i.test(compileError);
}

async function run(command: string, args: string[], what: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, {
    args,
    stdout: "inherit",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  })
    .output();
  if (code !== 0) {
    // deno prints a backtrace: keep the error and its causes.
    const text = new TextDecoder().decode(stderr)
      .split("Stack backtrace:")[0].split("\n").map((l) => l.trim()).filter((l) => l !== "")
      .join(" ");
    if (denortMissing(text)) {
      // "error sending request for url (URL): client error (Connect): dns error: ... 2: ..."
      const request = /error sending request for url \((\S+)\): (.*?)(?= \d+: |$)/.exec(text);
      throw new DenortUnavailableError(
        request
          ? `deno compile needs its runtime, denort, from ${request[1]}, unreachable here ` +
            `(${request[2]})`
          : `deno compile could not get its runtime, denort (${text.slice(0, 300)})`,
      );
    }
    throw new Error(`${what} failed (exit ${code}): ${text}`);
  }
}

/** Carries out one step; returns what it did. */
export async function runStep(step: Step): Promise<string> {
  switch (step.kind) {
    case "compile":
      await run(Deno.execPath(), compileArgs(step.output), "deno compile");
      return `compiled ${step.output}`;
    case "copy": {
      if (step.keepExisting && await exists(step.to)) return `kept ${step.to} (already there)`;
      await Deno.mkdir(step.to.slice(0, step.to.lastIndexOf("/")), { recursive: true });
      const fresh = `${step.to}.new-${Deno.pid}`;
      await Deno.copyFile(step.from, fresh);
      await Deno.chmod(fresh, step.mode);
      await Deno.rename(fresh, step.to);
      return `installed ${step.to}`;
    }
    case "run-layout":
      await buildRunLayout({
        repo: REPO_ROOT,
        lib: step.lib,
        deno: Deno.execPath(),
        permissions: SERVICE_PERMISSIONS,
        usage: USAGE,
      });
      return `installed the app, ${Deno.execPath()} and its npm packages in ${step.lib}`;
    case "write": {
      await Deno.mkdir(step.to.slice(0, step.to.lastIndexOf("/")), { recursive: true });
      const fresh = `${step.to}.new-${Deno.pid}`;
      await Deno.writeTextFile(fresh, step.text);
      await Deno.chmod(fresh, step.mode);
      await Deno.rename(fresh, step.to);
      return `installed ${step.to} (launcher)`;
    }
    case "check":
      await checkLauncher(step.launcher, USAGE);
      return `checked: ${step.launcher} starts with the npm registry unreachable`;
    case "remove":
      if (!await exists(step.path)) return `${step.path}: not there`;
      await Deno.remove(step.path, { recursive: step.tree ?? false });
      return `removed ${step.path}`;
    case "systemctl":
      await run("systemctl", step.args, `systemctl ${step.args.join(" ")}`);
      return `ran systemctl ${step.args.join(" ")}`;
    case "note":
      return step.text;
  }
}

/** Usage text. */
export const INSTALL_USAGE =
  `Usage: deno task install   [--prefix DIR] [--dry-run] [--binary FILE | --no-compile]
       deno task uninstall [--prefix DIR] [--dry-run]

  --prefix DIR   install below DIR instead of / (tests; the run layout's launcher names DIR)
  --dry-run      print the steps, change nothing
  --binary FILE  install this compiled binary instead of compiling one
  --no-compile   install the run layout (app, Deno, npm cache, launcher) without trying
                 deno compile (chosen by itself when deno compile cannot get denort)`;

/** The CLI: `args` starts with `install` or `uninstall`. Returns the exit code. */
export async function runInstallCli(
  args: string[],
  io: { out(line: string): void; err(line: string): void },
): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        prefix: { type: "string" },
        "dry-run": { type: "boolean" },
        binary: { type: "string" },
        "no-compile": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n${INSTALL_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(INSTALL_USAGE);
    return 0;
  }
  const command = positionals[0];
  if ((command !== "install" && command !== "uninstall") || positionals.length > 1) {
    io.err(`error: say install or uninstall\n${INSTALL_USAGE}`);
    return 2;
  }
  const prefix = values.prefix ?? "/";
  if (!prefix.startsWith("/")) {
    io.err("error: --prefix must be an absolute path");
    return 2;
  }
  if (values.binary && values["no-compile"]) {
    io.err(
      `error: --binary is the compiled layout, --no-compile the run layout: say one\n` +
        INSTALL_USAGE,
    );
    return 2;
  }
  const workDir = await Deno.makeTempDir({ prefix: "blockboard-build-" });
  try {
    let options: InstallOptions = {
      prefix,
      binary: values.binary,
      layout: values["no-compile"] ? "run" : "compiled",
      systemdRunning: await exists("/run/systemd/system"),
      workDir,
    };
    if (command === "uninstall") {
      for (const step of uninstallPlan(options)) {
        io.out(values["dry-run"] ? describeStep(step) : await runStep(step));
      }
      return 0;
    }
    let steps = installPlan(options);
    for (let i = 0; i < steps.length; i++) {
      if (values["dry-run"]) {
        io.out(describeStep(steps[i]));
        continue;
      }
      try {
        io.out(await runStep(steps[i]));
      } catch (e) {
        if (!(e instanceof DenortUnavailableError)) throw e;
        // Nothing is installed before the compile step: start over with the other layout.
        options = {
          ...options,
          layout: "run",
          why: `${e.message}: installing the run layout instead`,
        };
        steps = installPlan(options);
        i = -1;
      }
    }
    if (!values["dry-run"]) {
      io.out(
        `done: the ${options.layout} layout is installed` +
          (options.why ? " (deno compile could not get denort, see above)" : ""),
      );
    }
    return 0;
  } catch (e) {
    io.err(`blockboard ${command}: ${(e as Error).message}`);
    return 1;
  } finally {
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  Deno.exit(
    await runInstallCli(Deno.args, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    }),
  );
}
