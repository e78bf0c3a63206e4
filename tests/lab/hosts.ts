/**
 * Extra libvirt "hosts" on this machine for multi-host tests: each one a `libvirtd` in its own
 * network and mount namespace with its own `/run`, `/var/lib/libvirt` (so its own `images/`),
 * `/etc/libvirt`, `/var/log/libvirt` and `/var/cache/libvirt`, listening with plain TCP on its
 * veth address only (`/work/shared/notes/multi-host-lab.md`). The system daemon is untouched.
 *
 * Host number N has the addresses 10.77.N.1 (this machine's end of the veth) and 10.77.N.2 (the
 * namespace's), and the URI `qemu+tcp://10.77.N.2/system`.
 *
 * ```ts
 * await using host = await startLabHost({ name: "bbh1", number: 1 });
 * await using dom = await host.createDomain({ disks: [{ target: "vda", layers: 2 }] });
 * ```
 *
 * @module
 */
import { exec, type ExecResult } from "./exec.ts";
import { QEMU_CONF, qemuConfRunAsRoot } from "./host.ts";
import { waitFor } from "./wait.ts";
import {
  createHostLabDomain,
  type CreateHostLabDomainOptions,
  type HostLabDomain,
} from "./host_domain.ts";

export {
  type CreateHostLabDomainOptions,
  HOST_LAB_ROOT,
  type HostLabDomain,
} from "./host_domain.ts";

/** Where each lab host keeps its state folder (`R` of the recipe), one sub-folder per name. */
export const LAB_HOSTS_ROOT = "/var/lib/blockboard-lab-hosts";

/** The images directory every lab host's libvirtd sees (its own, bind-mounted from `R/lib`). */
export const HOST_IMAGES_DIR = "/var/lib/libvirt/images";

/** Options of {@link startLabHost}. */
export interface LabHostOptions {
  /**
   * Network namespace name, also the prefix of the host-side veth (`NAME-h`): 1-12 characters of
   * `[a-z0-9]`. Each helper keeps to its own prefix (`bbh…`, `bbm…`).
   */
  name: string;
  /** 1-254: the host's addresses are 10.77.N.1 (this side) and 10.77.N.2 (inside). */
  number: number;
}

/** The addresses and names of one lab host, worked out from its options. Pure. */
export interface LabHostAddressing {
  name: string;
  number: number;
  /** The namespace's address, where its libvirtd listens: `10.77.N.2`. */
  address: string;
  /** This machine's end of the veth: `10.77.N.1`. */
  gateway: string;
  /** The host-side veth interface name. */
  veth: string;
  /** `qemu+tcp://10.77.N.2/system`. */
  uri: string;
  /** The state folder on this machine. */
  stateDir: string;
}

/** Validates the options and derives the names and addresses. Throws on a bad name or number. */
export function labHostAddressing(options: LabHostOptions): LabHostAddressing {
  const { name, number } = options;
  if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) {
    throw new RangeError(`lab host name ${JSON.stringify(name)} must be 1-12 of [a-z0-9]`);
  }
  if (!Number.isInteger(number) || number < 1 || number > 254) {
    throw new RangeError(`lab host number ${number} must be 1-254`);
  }
  const address = `10.77.${number}.2`;
  return {
    name,
    number,
    address,
    gateway: `10.77.${number}.1`,
    veth: `${name}-h`,
    uri: `qemu+tcp://${address}/system`,
    stateDir: `${LAB_HOSTS_ROOT}/${name}`,
  };
}

/** The `libvirtd.conf` of a lab host: plain TCP on its own address, no auth (lab only). Pure. */
export function labLibvirtdConf(address: string): string {
  return [
    "# blockboard lab host: plain TCP on the namespace's veth address only, no auth (lab only)",
    "listen_tls = 0",
    "listen_tcp = 1",
    'auth_tcp = "none"',
    `listen_addr = "${address}"`,
    "",
  ].join("\n");
}

/** A running lab host. Disposing it tears everything down (idempotent). */
export interface LabHost extends LabHostAddressing, AsyncDisposable {
  /**
   * The host's `/var/lib/libvirt/images` as a path on this machine (`R/lib/images`): files made
   * here are what the namespaced libvirtd sees under {@link HOST_IMAGES_DIR}.
   */
  imagesDir: string;
  /** The path on this machine of a path the host's libvirtd sees under `/var/lib/libvirt`. */
  localPath(hostPath: string): string;
  /** `virsh -c URI ...args` from this machine (LC_ALL=C). Never throws. */
  virsh(...args: string[]): Promise<ExecResult>;
  /**
   * Runs `binary ...args` inside the host's mount and network namespaces, so paths are the
   * host's own (qemu-img with backing files, qemu-io). Never throws.
   */
  exec(binary: string, args: readonly string[]): Promise<ExecResult>;
  /**
   * A lab guest on this host (same XML and layer data as the local lab), its files under this
   * host's images directory; disposing it removes it.
   */
  createDomain(options?: CreateHostLabDomainOptions): Promise<HostLabDomain>;
  /** Pids of every process in the host's network namespace (libvirtd, virtlogd, QEMUs). */
  pids(): Promise<number[]>;
  /** Kills the host's libvirtd with SIGKILL (a crashed host); QEMU processes keep running. */
  killLibvirtd(): Promise<void>;
  /** Starts libvirtd again after {@link killLibvirtd} and waits until it answers. */
  restartLibvirtd(): Promise<void>;
  /** Idempotent: kill every process in the namespace, delete it and the veth, remove the state. */
  stop(): Promise<void>;
}

/**
 * Brings up one lab host and waits until `virsh -c qemu+tcp://10.77.N.2/system list` answers. A
 * stale namespace of the same name (a crashed run) is torn down first. Needs root.
 */
export async function startLabHost(options: LabHostOptions): Promise<LabHost> {
  const a = labHostAddressing(options);
  await teardownLabHost(a);
  await mustRun("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
  const R = a.stateDir;
  for (const dir of ["lib/images", "etc/qemu", "log", "cache"]) {
    await Deno.mkdir(`${R}/${dir}`, { recursive: true });
  }
  // The machine's qemu.conf (QEMU as root: the lab's fast-start fix); never its domain XMLs.
  await Deno.writeTextFile(`${R}/etc/qemu.conf`, qemuConfRunAsRoot(await readOr(QEMU_CONF)));
  await Deno.writeTextFile(`${R}/etc/libvirtd.conf`, labLibvirtdConf(a.address));
  const host = labHostHandle(a);
  try {
    await mustRun("ip", ["netns", "add", a.name]);
    await mustRun("ip", [
      "link",
      "add",
      a.veth,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      a.name,
    ]);
    await mustRun("ip", ["addr", "add", `${a.gateway}/24`, "dev", a.veth]);
    await mustRun("ip", ["link", "set", a.veth, "up"]);
    const inside = (...args: string[]) => mustRun("ip", ["netns", "exec", a.name, ...args]);
    await inside("ip", "link", "set", "lo", "up");
    await inside("ip", "addr", "add", `${a.address}/24`, "dev", "eth0");
    await inside("ip", "link", "set", "eth0", "up");
    await inside("ip", "route", "add", "10.77.0.0/16", "via", a.gateway);
    await startDaemons(a);
    await waitUntilAnswers(host);
    return host;
  } catch (e) {
    await host.stop().catch((cleanup) =>
      console.error(`lab host ${a.name}: cleanup after a failed start also failed: ${cleanup}`)
    );
    throw new Error(`cannot start lab host ${a.name}: ${e instanceof Error ? e.message : e}`, {
      cause: e,
    });
  }
}

/** The mount set-up and daemon start run inside the new mount namespace; `$1` is `R`. */
const START_SCRIPT = [
  "set -e",
  'R="$1"',
  "mount -t tmpfs tmpfs /run",
  "mkdir -p /run/libvirt /run/lock",
  'mount --bind "$R/lib" /var/lib/libvirt',
  'mount --bind "$R/etc" /etc/libvirt',
  'mount --bind "$R/log" /var/log/libvirt',
  'mount --bind "$R/cache" /var/cache/libvirt',
  "virtlogd -d",
  "libvirtd -d --listen",
].join("\n");

async function startDaemons(a: LabHostAddressing): Promise<void> {
  await mustRun("ip", [
    "netns",
    "exec",
    a.name,
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    START_SCRIPT,
    "sh",
    a.stateDir,
  ]);
}

async function waitUntilAnswers(host: LabHost): Promise<void> {
  await waitFor(`virsh -c ${host.uri} list to answer`, async () => {
    const r = await exec("virsh", ["-c", host.uri, "list"], { timeoutMs: 5_000 });
    if (r.code !== 0) throw new Error(r.stderr.trim());
    return true;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

function labHostHandle(a: LabHostAddressing): LabHost {
  const imagesDir = `${a.stateDir}/lib/images`;
  let stopping: Promise<void> | undefined;
  const pids = () => namespacePids(a.name);
  /** A process in the host's mount namespace (virtlogd outlives a killed libvirtd). */
  const anchor = async (): Promise<number> => {
    const all = await pids();
    for (const comm of ["virtlogd", "libvirtd"]) {
      const pid = all.find((p) => commOf(p) === comm);
      if (pid) return pid;
    }
    throw new Error(`lab host ${a.name} has no virtlogd or libvirtd running`);
  };
  const inNamespaces = async (binary: string, args: readonly string[]) => {
    let pid: number;
    try {
      pid = await anchor();
    } catch (e) {
      return { code: -1, stdout: "", stderr: (e as Error).message };
    }
    return exec("nsenter", ["-t", String(pid), "-m", "-n", "--", binary, ...args]);
  };
  const host: LabHost = {
    ...a,
    imagesDir,
    localPath(hostPath: string) {
      if (!hostPath.startsWith("/var/lib/libvirt/") || hostPath.split("/").includes("..")) {
        throw new RangeError(`${hostPath} is not under the lab host's /var/lib/libvirt`);
      }
      return `${a.stateDir}/lib/${hostPath.slice("/var/lib/libvirt/".length)}`;
    },
    virsh: (...args) => exec("virsh", ["-c", a.uri, ...args], { timeoutMs: 60_000 }),
    exec: inNamespaces,
    createDomain: (options) => createHostLabDomain(host, options),
    pids,
    async killLibvirtd() {
      for (const pid of await pids()) {
        if (commOf(pid) === "libvirtd") Deno.kill(pid, "SIGKILL");
      }
      await waitFor(`libvirtd of ${a.name} to die`, async () => {
        return !(await pids()).some((p) => commOf(p) === "libvirtd");
      }, { timeoutMs: 10_000 });
    },
    async restartLibvirtd() {
      const r = await inNamespaces("libvirtd", ["-d", "--listen"]);
      if (r.code !== 0) throw new Error(`libvirtd -d in ${a.name}: ${r.stderr.trim()}`);
      await waitUntilAnswers(host);
    },
    stop() {
      stopping ??= teardownLabHost(a);
      return stopping;
    },
    [Symbol.asyncDispose]() {
      return host.stop();
    },
  };
  return host;
}

/**
 * Removes a lab host, whether it is up, half up or left by a crashed run: kills every process in
 * its namespace, deletes the namespace and the veth, removes the state folder. Idempotent.
 */
export async function teardownLabHost(a: LabHostAddressing): Promise<void> {
  const namespaces = await exec("ip", ["netns", "list"]);
  const exists = namespaces.stdout.split("\n").some((l) => l.split(" ")[0] === a.name);
  if (exists) {
    for (let round = 0; round < 50; round++) {
      const left = await namespacePids(a.name);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone already */ }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await exec("ip", ["netns", "del", a.name]);
  }
  // Deleting the namespace removes its veth end, and with it ours; a half-made pair may remain.
  const link = await exec("ip", ["link", "show", "dev", a.veth]);
  if (link.code === 0) await exec("ip", ["link", "del", a.veth]);
  if (!a.stateDir.startsWith(`${LAB_HOSTS_ROOT}/`) || a.stateDir.includes("..")) {
    throw new Error(`refusing to remove ${a.stateDir}: not inside ${LAB_HOSTS_ROOT}`);
  }
  await Deno.remove(a.stateDir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

async function namespacePids(name: string): Promise<number[]> {
  const r = await exec("ip", ["netns", "pids", name]);
  if (r.code !== 0) return [];
  return r.stdout.split("\n").map((l) => Number(l.trim())).filter((n) =>
    Number.isInteger(n) && n > 1
  );
}

function commOf(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return undefined;
  }
}

async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

async function mustRun(binary: string, args: readonly string[]): Promise<ExecResult> {
  const r = await exec(binary, args, { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new Error(
      `${binary} ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`,
    );
  }
  return r;
}
