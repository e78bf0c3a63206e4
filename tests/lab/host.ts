/**
 * Bringing the host up to what the lab needs: packages, QEMU running as root, and the libvirt
 * daemons (there is no systemd on our machines, so we start them ourselves).
 *
 * @module
 */
import { exec, labVirsh } from "./exec.ts";
import { waitFor } from "./wait.ts";

/** Programs the lab and the browser tests need, and the Debian packages that bring them. */
export const REQUIRED_BINARIES = [
  "virsh",
  "qemu-img",
  "qemu-io",
  "qemu-system-x86_64",
  "libvirtd",
  "virtlogd",
  "/usr/bin/chromium",
] as const;

/** The Debian packages installed when any of {@link REQUIRED_BINARIES} is missing. */
export const LAB_PACKAGES = [
  "libvirt-daemon-system",
  "libvirt-clients",
  "libvirt-daemon-driver-qemu",
  "qemu-system-x86",
  "qemu-utils",
  "chromium",
] as const;

/** The QEMU driver configuration file. */
export const QEMU_CONF = "/etc/libvirt/qemu.conf";

const SEARCH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The absolute path of `name` (PATH first, then the usual system directories), or undefined. */
export function findBinary(name: string): string | undefined {
  const candidates = name.startsWith("/")
    ? [name]
    : [...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean), ...SEARCH_DIRS].map((d) =>
      `${d}/${name}`
    );
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Installs {@link LAB_PACKAGES} with apt-get when a required program is missing. */
export async function ensurePackages(log: (line: string) => void): Promise<void> {
  const missing = REQUIRED_BINARIES.filter((b) => !findBinary(b));
  if (missing.length === 0) {
    log("tools: virsh, qemu-img, qemu-io, qemu-system-x86_64, libvirtd, chromium present");
    return;
  }
  log(`tools: missing ${missing.join(", ")}; installing ${LAB_PACKAGES.join(" ")} with apt-get`);
  if (Deno.uid() !== 0) {
    throw new Error(`missing ${missing.join(", ")} and not root, so apt-get cannot install them`);
  }
  await aptGet(["update"]);
  await aptGet(["install", "-y", "--no-install-recommends", ...LAB_PACKAGES]);
  const still = REQUIRED_BINARIES.filter((b) => !findBinary(b));
  if (still.length) throw new Error(`apt-get finished but ${still.join(", ")} still missing`);
}

async function aptGet(args: string[]): Promise<void> {
  const status = await new Deno.Command("apt-get", {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) throw new Error(`apt-get ${args.join(" ")} exited ${status.code}`);
}

/**
 * `qemu.conf` text with `user = "root"` and `group = "root"` in force: other active `user =` /
 * `group =` lines are commented out and the wanted ones appended. Returns the text unchanged when
 * it already says so. Pure.
 */
export function qemuConfRunAsRoot(text: string): string {
  let out = text;
  for (const key of ["user", "group"]) {
    const active = new RegExp(`^\\s*${key}\\s*=.*$`, "gm");
    const lines = out.match(active) ?? [];
    const ok = lines.length === 1 && new RegExp(`^\\s*${key}\\s*=\\s*"root"\\s*$`).test(lines[0]);
    if (ok) continue;
    out = out.replace(active, (line) => `#${line.trimStart()}`);
    if (!out.endsWith("\n")) out += "\n";
    out += `# blockboard lab: QEMU as root avoids a capability re-probe on every start\n`;
    out += `${key} = "root"\n`;
  }
  return out;
}

/** Makes libvirt run QEMU as root. Returns true when the file changed. */
export async function ensureQemuConf(log: (line: string) => void): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(QEMU_CONF);
  } catch (e) {
    throw new Error(`cannot read ${QEMU_CONF} (is libvirt-daemon-driver-qemu installed?): ${e}`);
  }
  const wanted = qemuConfRunAsRoot(text);
  if (wanted === text) {
    log(`qemu.conf: already runs QEMU as root:root`);
    return false;
  }
  await Deno.writeTextFile(QEMU_CONF, wanted);
  log(`qemu.conf: set user = "root", group = "root"`);
  return true;
}

/** The pid of the running libvirtd (from its pid file, checked against /proc), or undefined. */
export function libvirtdPid(): number | undefined {
  for (const file of ["/run/libvirtd.pid", "/var/run/libvirtd.pid"]) {
    try {
      const pid = Number(Deno.readTextFileSync(file).trim());
      if (!Number.isInteger(pid) || pid <= 1) continue;
      if (Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "libvirtd") return pid;
    } catch { /* no such file or process */ }
  }
  return undefined;
}

async function libvirtAnswers(): Promise<boolean> {
  const r = await exec("virsh", ["-c", "qemu:///system", "list"], { timeoutMs: 10_000 });
  return r.code === 0;
}

/** Stops libvirtd (by the pid in its pid file) and waits until it is gone. */
async function stopLibvirtd(log: (line: string) => void): Promise<void> {
  const pid = libvirtdPid();
  if (!pid) return;
  log(`daemons: stopping libvirtd (pid ${pid}) to apply qemu.conf`);
  Deno.kill(pid, "SIGTERM");
  await waitFor(`libvirtd pid ${pid} to exit`, () => {
    try {
      Deno.statSync(`/proc/${pid}`);
      return Promise.resolve(false);
    } catch {
      return Promise.resolve(true);
    }
  }, { timeoutMs: 30_000 });
}

/**
 * Makes `virsh -c qemu:///system list` answer: restarts libvirtd when `restart` (qemu.conf
 * changed), starts virtlogd and libvirtd when it does not answer, then waits up to 30 s.
 */
export async function ensureDaemons(restart: boolean, log: (line: string) => void): Promise<void> {
  if (restart) await stopLibvirtd(log);
  if (!restart && await libvirtAnswers()) {
    log("daemons: libvirtd answers on qemu:///system");
    return;
  }
  const started: string[] = [];
  for (const daemon of ["virtlogd", "libvirtd"]) {
    const binary = findBinary(daemon);
    if (!binary) throw new Error(`${daemon} not found`);
    // A second instance exits at once on the held pid file: harmless.
    const r = await exec(binary, ["-d"], { timeoutMs: 30_000 });
    started.push(`${daemon} -d → exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ""}`);
  }
  log(`daemons: ${started.join("; ")}`);
  try {
    await waitFor("virsh -c qemu:///system list to answer", libvirtAnswers, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  } catch (e) {
    const last = await labVirsh("list");
    throw new Error(
      `libvirtd does not answer after starting it (${started.join("; ")}); virsh says: ${
        last.stderr.trim() || last.stdout.trim()
      } (${e instanceof Error ? e.message : e})`,
    );
  }
  log("daemons: libvirtd answers on qemu:///system");
}
