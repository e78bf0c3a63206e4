/**
 * The "run" layout of an installed blockboard, for hosts where `deno compile` cannot get its
 * runtime (denort, downloaded from dl.deno.land): the app's source, the Deno that installed it
 * and a private DENO_DIR holding every npm package, under one directory, started by a small
 * `sh` launcher with `deno run --cached-only` and the compiled binary's permissions. Nothing is
 * fetched when it starts, and nothing in the directory is written (systemd's
 * `ProtectSystem=strict` keeps it read-only).
 *
 * ```
 * /usr/local/lib/blockboard/app     main.ts server/ views/ static/ deno.json deno.lock node_modules/
 * /usr/local/lib/blockboard/deno    the Deno binary (same version that fetched the cache)
 * /usr/local/lib/blockboard/cache   DENO_DIR: npm packages, emitted code
 * /usr/local/bin/blockboard         the launcher
 * ```
 *
 * @module
 */

/** What the app needs at run time, relative to the repository (no tests, no docs, no .git). */
export const APP_FILES = [
  "main.ts",
  "server",
  "views",
  "static",
  "deno.json",
  "deno.lock",
] as const;

/** Paths inside the layout's directory. */
export function layoutPaths(lib: string): { app: string; deno: string; cache: string } {
  return { app: `${lib}/app`, deno: `${lib}/deno`, cache: `${lib}/cache` };
}

/**
 * `deno run` arguments of the installed app: only what is cached, the lockfile as it is, no
 * permission prompt (a compiled binary has none either), then `permissions`.
 */
export function runArgs(lib: string, permissions: readonly string[]): string[] {
  const { app } = layoutPaths(lib);
  return [
    "run",
    "--cached-only",
    "--frozen",
    "--no-prompt",
    "--config",
    `${app}/deno.json`,
    ...permissions,
    `${app}/main.ts`,
  ];
}

/** The environment the app runs with: its private cache, and no update check (no network). */
export function runEnv(lib: string): Record<string, string> {
  return { DENO_DIR: layoutPaths(lib).cache, DENO_NO_UPDATE_CHECK: "1" };
}

/** `value` as one POSIX `sh` word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The launcher: POSIX `sh`, no eval, every argument passed on as it came (`"$@"`), so
 * `blockboard --port 9000` and `blockboard user add NAME` behave as with the compiled binary.
 */
export function launcherScript(lib: string, permissions: readonly string[]): string {
  const env = Object.entries(runEnv(lib));
  const argv = [layoutPaths(lib).deno, ...runArgs(lib, permissions)].map(shellQuote);
  return [
    "#!/bin/sh",
    "# blockboard (run layout), written by `deno task install`; replaced on upgrade.",
    "# Runs the app with the Deno beside it and its private npm cache (no network) in",
    // JSON escapes a newline in the directory's name: the rest of it would be a command line.
    `# ${JSON.stringify(lib)}`,
    ...env.flatMap(([name, value]) => [`${name}=${shellQuote(value)}`, `export ${name}`]),
    `exec ${argv.join(" ")} "$@"`,
    "",
  ].join("\n");
}

/** Runs `command`; throws with its last lines of output when it fails. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> },
  what: string,
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) {
    // deno prints progress lines and a backtrace: keep the error and its causes.
    const text = (out + new TextDecoder().decode(stderr)).split("Stack backtrace:")[0]
      .split("\n").map((l) => l.trim())
      .filter((l) => l !== "" && !/^(Download|Initialize) /.test(l)).join(" ").slice(-600);
    throw new Error(`${what} failed (exit ${code}): ${text}`);
  }
  return out;
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.lstat(from);
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  } else if (info.isFile) {
    await Deno.copyFile(from, to);
  }
}

/**
 * Without network for npm: the registry points at a closed port and `--cached-only` is on, so a
 * package missing from the cache fails here instead of when the service starts.
 */
export const OFFLINE_ENV = { NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/" } as const;

/**
 * Builds the layout at `lib` from the repository at `repo` with the Deno at `deno`: assembled
 * beside it (`lib.new`), its npm packages fetched into its own cache, checked by running
 * `--help` offline, and only then renamed over the old one, so a failed upgrade leaves the
 * installed app as it was. `usage` is what `--help` must print.
 */
export async function buildRunLayout(
  o: { repo: string; lib: string; deno: string; permissions: readonly string[]; usage: string },
): Promise<void> {
  const staged = `${o.lib}.new`;
  const old = `${o.lib}.old`;
  await Deno.remove(staged, { recursive: true }).catch(() => {});
  try {
    await stage(staged, o);
  } catch (e) {
    await Deno.remove(staged, { recursive: true }).catch(() => {});
    throw e;
  }
  await Deno.remove(old, { recursive: true }).catch(() => {});
  const hadOld = await Deno.lstat(o.lib).then(() => true, () => false);
  if (hadOld) await Deno.rename(o.lib, old);
  await Deno.rename(staged, o.lib);
  if (hadOld) await Deno.remove(old, { recursive: true });
}

/** Assembles the layout at `staged` and checks it starts offline. */
async function stage(
  staged: string,
  o: { repo: string; deno: string; permissions: readonly string[]; usage: string },
): Promise<void> {
  const paths = layoutPaths(staged);
  await Deno.mkdir(paths.app, { recursive: true });
  for (const name of APP_FILES) await copyTree(`${o.repo}${name}`, `${paths.app}/${name}`);
  await Deno.copyFile(o.deno, paths.deno);
  await Deno.chmod(paths.deno, 0o755);
  // The lockfile as it is: the installed packages are the ones the repository was tested with.
  await run(
    paths.deno,
    ["install", "--frozen", "--entrypoint", "main.ts"],
    { cwd: paths.app, env: runEnv(staged) },
    "fetching the npm packages (deno install)",
  );
  const help = await run(
    paths.deno,
    ["run", "--no-code-cache", ...runArgs(staged, o.permissions).slice(1), "--help"],
    { cwd: "/", env: { ...runEnv(staged), ...OFFLINE_ENV } },
    "starting the staged app offline (--help)",
  );
  if (help.trim() !== o.usage.trim()) {
    throw new Error(`the staged app's --help differs from this repository's:\n${help}`);
  }
  // Code emitted for the staged paths would never be used again.
  await Deno.remove(`${paths.cache}/gen`, { recursive: true }).catch(() => {});
}

/**
 * Runs the installed launcher with `--help` offline: proves it starts without network and
 * fills the cache with the code emitted for the installed paths (faster first start).
 */
export async function checkLauncher(launcher: string, usage: string): Promise<void> {
  const help = await run(
    launcher,
    ["--help"],
    { cwd: "/", env: { ...OFFLINE_ENV } },
    `${launcher} --help`,
  );
  if (help.trim() !== usage.trim()) {
    throw new Error(`${launcher} --help printed something else:\n${help}`);
  }
}
