/**
 * Running blockboard as a service: the binary's permission set serves the dashboard, `deno
 * compile` builds a binary that serves it (where denort can be had), the run layout (where it
 * cannot) is installed with `--prefix` and its launcher serves the dashboard and manages users
 * with the npm registry unreachable and its directory read-only, `deno task install --prefix`
 * lays out the files and never overwrites the configuration, and the unit file is well-formed
 * (`systemd-analyze verify` where it exists).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  compileArgs,
  denortAvailable,
  denortMissing,
  describeStep,
  INSTALL_PATHS,
  installPlan,
  REPO_ROOT,
  SERVICE_PERMISSIONS,
  uninstallPlan,
} from "../../server/cli/install.ts";
import { USAGE } from "../../server/config.ts";
import { outputWithInput } from "../support/piped_input.ts";
import { APP_FILES, launcherScript, OFFLINE_ENV, shellQuote } from "../../server/cli/run_layout.ts";
import { startMain } from "../http/main_process.ts";

const INSTALL_CLI = `${REPO_ROOT}server/cli/install.ts`;
const UNIT = `${REPO_ROOT}deploy/blockboard.service`;

/** GETs the dashboard, assets and health probe of a server on `port`; each must answer 200. */
async function assertServesDashboard(port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const wanted: [string, string][] = [
    ["/", "text/html"],
    ["/static/app.css", "text/css"],
    ["/static/app.js", "text/javascript"],
    ["/static/htmx.min.js", "text/javascript"],
    ["/healthz", "application/json"],
    ["/api/v1/openapi.json", "application/json"],
  ];
  for (const [path, type] of wanted) {
    const res = await fetch(`${base}${path}`);
    const body = await res.text();
    assertEquals(res.status, 200, `${path}: ${body.slice(0, 300)}`);
    assertStringIncludes(res.headers.get("content-type") ?? "", type, path);
    assert(body.length > 0, `${path} is empty`);
  }
}

/** Starts `command` from an empty directory (nothing may depend on the repository as cwd). */
async function serveFrom(command: string[], env?: Record<string, string>) {
  const cwd = await Deno.makeTempDir({ prefix: "bbapi-cwd-" });
  const server = await startMain({ command, cwd, env, args: ["--host", "127.0.0.1"] });
  return {
    server,
    async [Symbol.asyncDispose]() {
      await server.cleanup();
      await Deno.remove(cwd, { recursive: true });
    },
  };
}

Deno.test("the compiled binary's permission set (no --allow-all) serves the dashboard", async () => {
  await using run = await serveFrom([
    Deno.execPath(),
    "run",
    ...SERVICE_PERMISSIONS,
    `${REPO_ROOT}main.ts`,
  ]);
  assertStringIncludes(run.server.output(), "blockboard listening on http://127.0.0.1:");
  await assertServesDashboard(run.server.port);
  run.server.child.kill("SIGTERM");
  assertEquals((await run.server.status).code, 0, run.server.output());
});

Deno.test("`blockboard user ...` (main.ts user) manages users like `deno task user`", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bbapi-data-" });
  try {
    const main = [...SERVICE_PERMISSIONS, `${REPO_ROOT}main.ts`];
    const added = await outputWithInput(Deno.execPath(), {
      args: [
        "run",
        ...main,
        "user",
        "add",
        "bbapi-admin",
        "--role",
        "admin",
        "--data-dir",
        dataDir,
      ],
    }, "a long enough password\n");
    assertEquals(added.code, 0, added.stderr);
    const list = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...main, "user", "list", "--data-dir", dataDir],
      stdout: "piped",
    }).output();
    assertEquals(list.code, 0);
    assertStringIncludes(new TextDecoder().decode(list.stdout), "bbapi-admin");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

/** Why denort cannot be downloaded here (the error of a HEAD request), or null when it can. */
async function denortDownloadFailure(): Promise<string | null> {
  const url = `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.ok ? null : `${url}: HTTP ${res.status}`;
  } catch (e) {
    const cause = (e as Error).cause;
    return `${url}: ${(e as Error).message}${cause ? ` (${cause})` : ""}`;
  }
}

const denortFailure = await denortAvailable() ? null : await denortDownloadFailure();
const canCompile = denortFailure === null;
if (!canCompile) {
  console.warn(
    "service_test: deno compile's runtime (denort) is neither cached nor named by DENORT_BIN " +
      `and cannot be downloaded here (${denortFailure}): the compiled-binary test is ignored ` +
      "and install is expected to fall back to the run layout.",
  );
}

Deno.test({
  name: "deno compile builds one binary that serves the dashboard and prints --help",
  ignore: !canCompile,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bbapi-bin-" });
    try {
      const binary = `${dir}/blockboard`;
      const built = await new Deno.Command(Deno.execPath(), {
        args: compileArgs(binary),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
      const help = await new Deno.Command(binary, { args: ["--help"], stdout: "piped" }).output();
      assertEquals(new TextDecoder().decode(help.stdout).trim(), USAGE.trim());
      await using run = await serveFrom([binary]);
      await assertServesDashboard(run.server.port);
      run.server.child.kill("SIGTERM");
      assertEquals((await run.server.status).code, 0, run.server.output());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function installCli(...args: string[]) {
  return await installCliWith({}, ...args);
}

async function installCliWith(env: Record<string, string>, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", INSTALL_CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

async function mode(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("install --prefix lays out binary, unit and config; keeps the config; uninstall keeps it too", async () => {
  const prefix = await Deno.makeTempDir({ prefix: "bbapi-prefix-" });
  try {
    // The install steps copy files; the binary's content does not matter to them (compiling is
    // the test above), so a small stand-in file is installed here.
    const binary = `${prefix}/built-blockboard`;
    await Deno.writeTextFile(binary, "#!/bin/sh\necho blockboard\n");
    const at = (rel: string) => `${prefix}/${rel}`;
    // A run layout left by an earlier install: the compiled layout removes it.
    await Deno.mkdir(at(`${INSTALL_PATHS.lib}/app`), { recursive: true });

    const dry = await installCli("install", "--prefix", prefix, "--binary", binary, "--dry-run");
    assertEquals(dry.code, 0, dry.text);
    assertStringIncludes(dry.text, `install: ${binary} -> ${at(INSTALL_PATHS.binary)}`);
    assertStringIncludes(dry.text, `install if absent: `);
    assertEquals(await exists(at(INSTALL_PATHS.unit)), false, "a dry run wrote the unit");

    const first = await installCli("install", "--prefix", prefix, "--binary", binary);
    assertEquals(first.code, 0, first.text);
    assertStringIncludes(first.text, "no systemctl call");
    assertEquals(
      await Deno.readTextFile(at(INSTALL_PATHS.binary)),
      await Deno.readTextFile(binary),
    );
    assertEquals(await mode(at(INSTALL_PATHS.binary)), 0o755);
    assertEquals(await exists(at(INSTALL_PATHS.lib)), false, "the old run layout is left");
    assertEquals(await Deno.readTextFile(at(INSTALL_PATHS.unit)), await Deno.readTextFile(UNIT));
    assertEquals(await mode(at(INSTALL_PATHS.unit)), 0o644);
    assertEquals(
      await Deno.readTextFile(at(INSTALL_PATHS.config)),
      await Deno.readTextFile(`${REPO_ROOT}deploy/blockboard.env`),
    );
    assertEquals(await mode(at(INSTALL_PATHS.config)), 0o600);

    // An upgrade: the operator's configuration stays, the binary is replaced.
    await Deno.writeTextFile(at(INSTALL_PATHS.config), "PORT=9999\n");
    await Deno.writeTextFile(binary, "#!/bin/sh\necho blockboard 2\n");
    const again = await installCli("install", "--prefix", prefix, "--binary", binary);
    assertEquals(again.code, 0, again.text);
    assertStringIncludes(again.text, "already there");
    assertEquals(await Deno.readTextFile(at(INSTALL_PATHS.config)), "PORT=9999\n");
    assertStringIncludes(await Deno.readTextFile(at(INSTALL_PATHS.binary)), "blockboard 2");

    const gone = await installCli("uninstall", "--prefix", prefix);
    assertEquals(gone.code, 0, gone.text);
    assertEquals(await exists(at(INSTALL_PATHS.binary)), false);
    assertEquals(await exists(at(INSTALL_PATHS.unit)), false);
    assertEquals(await Deno.readTextFile(at(INSTALL_PATHS.config)), "PORT=9999\n");

    const usage = await installCli("reinstall");
    assertEquals(usage.code, 2);
    assertEquals((await installCli("install", "--prefix", "relative")).code, 2);
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("systemctl runs only for a real install on a systemd host (plan table)", () => {
  const cases: [string, boolean, string[], string[]][] = [
    ["/", true, ["daemon-reload"], ["disable --now blockboard", "daemon-reload"]],
    ["/", false, [], []],
    ["/tmp/x", true, [], []],
    ["/tmp/x/", false, [], []],
  ];
  for (const [prefix, systemdRunning, install, uninstall] of cases) {
    const options = { prefix, systemdRunning, workDir: "/w", layout: "compiled" as const };
    const calls = (steps: ReturnType<typeof installPlan>) =>
      steps.flatMap((s) => s.kind === "systemctl" ? [s.args.join(" ")] : []);
    assertEquals(calls(installPlan(options)), install, `install ${prefix} ${systemdRunning}`);
    assertEquals(calls(uninstallPlan(options)), uninstall, `uninstall ${prefix} ${systemdRunning}`);
    const lines = installPlan(options).map(describeStep);
    assertStringIncludes(lines[0], "layout: compiled (deno compile)");
    assertEquals(lines[1], `compile: deno ${compileArgs("/w/blockboard").join(" ")}`);
    assertStringIncludes(lines[2], `-> ${prefix.replace(/\/$/, "")}/${INSTALL_PATHS.binary}`);
    const run = installPlan({ ...options, layout: "run" });
    assertEquals(calls(run), install, `run layout ${prefix} ${systemdRunning}`);
    assertEquals(
      run.slice(0, 4).map((s) => s.kind),
      ["note", "run-layout", "write", "check"],
      "the run layout: no compile",
    );
  }
  assert(
    !installPlan({
      prefix: "/",
      systemdRunning: false,
      workDir: "/w",
      binary: "/b",
      layout: "compiled",
    })
      .some((s) => s.kind === "compile"),
  );
});

/** `[section] → key → values` of a unit file (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) {
      throw new Error(`unit line ${i + 1} is not Key=value in a section: ${raw}`);
    }
    current.set(kv[1], [...current.get(kv[1]) ?? [], kv[2]]);
  }
  return sections;
}

/** The directives the unit uses that systemd knows (a typo would be silently ignored by it). */
const KNOWN_KEYS: Record<string, string[]> = {
  Unit: ["Description", "Documentation", "After", "Wants", "Requires"],
  Service: [
    "Type",
    "EnvironmentFile",
    "Environment",
    "ExecStart",
    "KillMode",
    "TimeoutStopSec",
    "Restart",
    "RestartSec",
    "User",
    "StateDirectory",
    "StateDirectoryMode",
    "UMask",
    "LimitNOFILE",
    "ProtectSystem",
    "ReadWritePaths",
    "ProtectHome",
    "PrivateTmp",
    "NoNewPrivileges",
    "RestrictSUIDSGID",
    "CapabilityBoundingSet",
    "AmbientCapabilities",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectClock",
    "ProtectHostname",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "RestrictRealtime",
    "LockPersonality",
    "SystemCallArchitectures",
  ],
  Install: ["WantedBy"],
};

Deno.test("the unit file: well-formed, hardened, pointing at what install puts in place", async () => {
  const text = await Deno.readTextFile(UNIT);
  const analyze = await new Deno.Command("systemd-analyze", {
    args: ["verify", UNIT],
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => null);
  if (analyze) {
    // It also complains that /usr/local/bin/blockboard is missing on a host without it.
    const complaints = new TextDecoder().decode(analyze.stderr).split("\n")
      .filter((l) => l.trim() !== "" && !l.includes("/usr/local/bin/blockboard"));
    assertEquals(complaints, [], "systemd-analyze verify");
    // systemd's own rating of the sandbox (0 = locked down, 10 = exposed); 4.3 when written.
    const security = await new Deno.Command("systemd-analyze", {
      args: ["security", "--offline=true", UNIT],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const level = /Overall exposure level for blockboard\.service: ([0-9.]+)/.exec(
      new TextDecoder().decode(security.stdout),
    );
    if (level) assert(Number(level[1]) <= 5, `exposure level ${level[1]} is above 5`);
  }
  const unit = parseUnit(text);
  assertEquals([...unit.keys()], ["Unit", "Service", "Install"]);
  for (const [section, keys] of unit) {
    for (const key of keys.keys()) {
      assert(KNOWN_KEYS[section].includes(key), `[${section}] ${key} is not a known directive`);
    }
  }
  const service = unit.get("Service")!;
  const one = (key: string) => {
    const values = service.get(key) ?? [];
    assertEquals(values.length, 1, `${key} once`);
    return values[0];
  };
  assertEquals(one("ExecStart"), `/${INSTALL_PATHS.binary}`);
  assertEquals(one("EnvironmentFile"), `/${INSTALL_PATHS.config}`);
  assertEquals(one("ProtectSystem"), "strict");
  assertEquals(one("PrivateTmp"), "yes");
  assertEquals(one("NoNewPrivileges"), "yes");
  assertEquals(one("ProtectHome"), "yes");
  assertEquals(one("StateDirectory"), "blockboard");
  assertStringIncludes(one("ReadWritePaths"), "/var/lib/libvirt/images");
  assertEquals(
    one("RestrictAddressFamilies").split(" ").sort(),
    ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"],
  );
  // V8's JIT needs writable+executable memory.
  assert(!service.has("MemoryDenyWriteExecute"));
  // The data directory the unit creates is the one the configuration names.
  const env = await Deno.readTextFile(`${REPO_ROOT}deploy/blockboard.env`);
  assertStringIncludes(env, "\nBLOCKBOARD_DATA_DIR=/var/lib/blockboard\n");
  assertEquals(unit.get("Install")!.get("WantedBy"), ["multi-user.target"]);
});

Deno.test("deno compile's errors: only a missing denort switches to the run layout (table)", () => {
  const cases: [string, boolean][] = [
    [
      "error: Writing deno compile executable to temporary file '/tmp/x.tmp' Caused by: 0: " +
      "Setting up base binary. 1: error sending request for url (https://dl.deno.land/release/" +
      "v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error",
      true,
    ],
    ["error: DENORT_BIN /nope/denort: No such file or directory", true],
    ['error: Module not found "file:///repo/server/gone.ts"', false],
    ["error: The module's source code could not be parsed: Expected ';'", false],
  ];
  for (const [text, missing] of cases) assertEquals(denortMissing(text), missing, text);
});

Deno.test("shellQuote: sh reads every value back as one word, unchanged (table)", async () => {
  for (const value of ["plain", "a b", "it's", '$HOME `x` \\ "q"', "'", "", "a\nb"]) {
    const out = await new Deno.Command("sh", {
      args: ["-c", `printf '%s' ${shellQuote(value)}`],
      stdout: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stdout), value);
  }
});

Deno.test("launcherScript: a directory name with a newline or quotes stays data, never a command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bbrv-launcher-" });
  try {
    const marker = `${dir}/ran`;
    const lib = `${dir}/lib\ntouch ${marker}\n'$(touch ${marker})'`;
    const launcher = `${dir}/launcher`;
    await Deno.writeTextFile(launcher, launcherScript(lib, ["--allow-net"]));
    const out = await new Deno.Command("sh", {
      args: [launcher, "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 127, "exec reached the (missing) Deno of that directory");
    assertStringIncludes(new TextDecoder().decode(out.stderr), "lib");
    assertEquals(await exists(marker), false, "a line of the directory's name ran");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The command that runs `launcher` with `lib` mounted read-only (as systemd's
 * `ProtectSystem=strict` leaves it), when this test runs as root with `unshare`; else the
 * launcher alone. The shell `exec`s, so the launcher's Deno keeps the PID and gets SIGTERM.
 */
async function readOnlyLib(launcher: string, lib: string): Promise<[string[], boolean]> {
  const probe = await new Deno.Command("unshare", {
    args: ["-m", "sh", "-c", `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"`, "sh", lib],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  if (!probe?.success) return [[launcher], false];
  return [[
    "unshare",
    "-m",
    "sh",
    "-c",
    `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`,
    "sh",
    lib,
    launcher,
  ], true];
}

Deno.test("install --no-compile: the run layout serves offline, read-only; `blockboard user` works; upgrade; uninstall", async () => {
  const prefix = await Deno.makeTempDir({ prefix: "bbapi-run-" });
  const dataDir = await Deno.makeTempDir({ prefix: "bbapi-rundata-" });
  try {
    const at = (rel: string) => `${prefix}/${rel}`;
    const lib = at(INSTALL_PATHS.lib);
    const launcher = at(INSTALL_PATHS.binary);

    const dry = await installCli("install", "--prefix", prefix, "--no-compile", "--dry-run");
    assertEquals(dry.code, 0, dry.text);
    assertStringIncludes(dry.text, `run layout: copy ${APP_FILES.join(" ")}`);
    assertStringIncludes(dry.text, `write: ${launcher} (mode 755):\n#!/bin/sh\n`);
    assert(!dry.text.includes("compile: deno"), dry.text);
    assertEquals(await exists(at("usr")), false, "a dry run wrote files");

    const installed = await installCli("install", "--prefix", prefix, "--no-compile");
    assertEquals(installed.code, 0, installed.text);
    assertStringIncludes(installed.text, "layout: run (--no-compile)");
    assertStringIncludes(installed.text, "starts with the npm registry unreachable");
    assertStringIncludes(installed.text, "done: the run layout is installed");
    assert(!installed.text.includes("compiled"), installed.text);

    // The launcher: sh, no eval, the arguments passed on quoted, the compiled binary's flags.
    const script = await Deno.readTextFile(launcher);
    assertEquals(script, launcherScript(lib, SERVICE_PERMISSIONS));
    assert(script.startsWith("#!/bin/sh\n"));
    assert(!/\beval\b/.test(script));
    assert(script.trimEnd().endsWith(` "$@"`));
    for (const flag of SERVICE_PERMISSIONS) assertStringIncludes(script, ` '${flag}' `);
    assertStringIncludes(script, ` '--cached-only' `);
    assertEquals(await mode(launcher), 0o755);
    // The app (no tests), this Deno, the npm packages.
    const app = [];
    for await (const entry of Deno.readDir(`${lib}/app`)) app.push(entry.name);
    assertEquals(app.sort(), [...APP_FILES, "node_modules"].sort());
    assertEquals((await Deno.stat(`${lib}/deno`)).size, (await Deno.stat(Deno.execPath())).size);
    assert(await exists(`${lib}/cache/npm/registry.npmjs.org/hono`));
    assert(await exists(`${lib}/app/node_modules/hono`));
    assertEquals(await exists(`${lib}.new`), false);

    const [command, readOnly] = await readOnlyLib(launcher, lib);
    if (!readOnly) console.warn("run layout test: not root or no unshare: lib left writable");
    {
      await using run = await serveFrom(command, { ...OFFLINE_ENV, DENO_DIR: "/nonexistent" });
      assertStringIncludes(run.server.output(), "blockboard listening on http://127.0.0.1:");
      await assertServesDashboard(run.server.port);
      run.server.child.kill("SIGTERM");
      assertEquals((await run.server.status).code, 0, run.server.output());
    }

    // `blockboard user ...` through the launcher, offline.
    const added = await outputWithInput(launcher, {
      args: ["user", "add", "bbapi-runadmin", "--role", "admin", "--data-dir", dataDir],
      env: { ...OFFLINE_ENV },
    }, "a long enough password\n");
    assertEquals(added.code, 0, added.stderr);
    const list = await new Deno.Command(launcher, {
      args: ["user", "list", "--data-dir", dataDir],
      env: { ...OFFLINE_ENV },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(list.code, 0, new TextDecoder().decode(list.stderr));
    assertStringIncludes(new TextDecoder().decode(list.stdout), "bbapi-runadmin");

    // A failed upgrade (the npm registry unreachable while fetching into the new cache) says so
    // and leaves the installed layout as it was.
    const failed = await installCliWith(OFFLINE_ENV, "install", "--prefix", prefix, "--no-compile");
    assertEquals(failed.code, 1, failed.text);
    assertStringIncludes(failed.text, "fetching the npm packages (deno install) failed");
    assertEquals(await exists(`${lib}.new`), false);
    const still = await new Deno.Command(launcher, {
      args: ["--help"],
      env: { ...OFFLINE_ENV },
      stdout: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(still.stdout).trim(), USAGE.trim());

    // Upgrade: built beside, renamed over; the configuration stays.
    await Deno.writeTextFile(at(INSTALL_PATHS.config), "PORT=9999\n");
    const again = await installCli("install", "--prefix", prefix, "--no-compile");
    assertEquals(again.code, 0, again.text);
    assertEquals(await Deno.readTextFile(at(INSTALL_PATHS.config)), "PORT=9999\n");
    assertEquals(await exists(`${lib}.new`), false);
    assertEquals(await exists(`${lib}.old`), false);

    const gone = await installCli("uninstall", "--prefix", prefix);
    assertEquals(gone.code, 0, gone.text);
    assertEquals(await exists(launcher), false);
    assertEquals(await exists(lib), false);
    assertEquals(await exists(at(INSTALL_PATHS.unit)), false);
    assertEquals(await Deno.readTextFile(at(INSTALL_PATHS.config)), "PORT=9999\n");

    assertEquals((await installCli("install", "--no-compile", "--binary", "/b")).code, 2);
  } finally {
    await Deno.remove(prefix, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name:
    "install without flags: deno compile where denort can be had, else the run layout, saying why",
  // Where denort is at hand, this would compile (the compiled-binary test above covers that).
  ignore: canCompile,
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "bbapi-auto-" });
    try {
      const installed = await installCli("install", "--prefix", prefix);
      assertEquals(installed.code, 0, installed.text);
      assertStringIncludes(installed.text, "layout: run: deno compile needs its runtime, denort");
      assertStringIncludes(installed.text, "installing the run layout instead");
      assertStringIncludes(installed.text, "done: the run layout is installed");
      assertStringIncludes(
        await Deno.readTextFile(`${prefix}/${INSTALL_PATHS.binary}`),
        "'--cached-only'",
      );
    } finally {
      await Deno.remove(prefix, { recursive: true });
    }
  },
});
