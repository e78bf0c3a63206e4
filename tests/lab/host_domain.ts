/**
 * Lab guests on a namespaced lab host (`hosts.ts`): the same XML and layer data as the local lab
 * (`domain_xml.ts`, `layers.ts`), with files under that host's own images directory, built with
 * qemu-img/qemu-io inside its mount namespace so backing paths are the host's own.
 *
 * @module
 */
import { labDomainXml } from "./domain_xml.ts";
import type { ExecResult } from "./exec.ts";
import type { LabHost } from "./hosts.ts";
import {
  buildDiskLayers,
  type CreateLabDomainOptions,
  DEFAULT_DISKS,
  type LabDisk,
  type LabDiskSpec,
  uniqueName,
} from "./lab.ts";
import { currentOwner } from "./owner.ts";
import { waitFor } from "./wait.ts";

/** Where lab guests keep their files on a lab host, as its libvirtd sees it. */
export const HOST_LAB_ROOT = "/var/lib/libvirt/images/blockboard-lab";

/** Options of {@link createHostLabDomain}: those of the local lab, plus a cheap mode for benches. */
export interface CreateHostLabDomainOptions extends CreateLabDomainOptions {
  /** Write the layers' known data (default true; false makes empty images, for benches). */
  fill?: boolean;
}

/** A lab guest on a lab host. Disposing it destroys and undefines it and removes its files. */
export interface HostLabDomain extends AsyncDisposable {
  name: string;
  uuid: string;
  /** The domain's directory as the host sees it (under `/var/lib/libvirt/images`). */
  dir: string;
  /** The same directory as a path on this machine. */
  localDir: string;
  /** Chains in the host's paths. */
  disks: LabDisk[];
  persistent: boolean;
  /** The lab host it lives on. */
  host: LabHost;
  /** Idempotent; a host that is already down is fine. */
  destroy(): Promise<void>;
}

/** Creates a lab guest on `host`; what it made is removed again if a step fails. */
export async function createHostLabDomain(
  host: LabHost,
  opts: CreateHostLabDomainOptions = {},
): Promise<HostLabDomain> {
  const uuid = crypto.randomUUID();
  const name = opts.name ?? uniqueName("bbh-");
  const persistent = opts.persistent ?? false;
  const running = opts.running ?? true;
  if (!persistent && !running) throw new Error("a transient lab domain must be running");
  const dir = `${HOST_LAB_ROOT}/${uuid}`;
  const localDir = host.localPath(dir);
  await Deno.mkdir(localDir, { recursive: true });
  const handle = hostDomainHandle(host, name, uuid, dir, localDir, [], persistent);
  try {
    const disks: LabDisk[] = [];
    for (const [index, spec] of (opts.disks ?? [...DEFAULT_DISKS]).entries()) {
      disks.push(await buildHostDisk(host, dir, index, spec, opts.fill ?? true));
    }
    handle.disks.push(...disks);
    const xml = labDomainXml({
      name,
      uuid,
      owner: currentOwner("test", dir),
      disks: disks.map((d) => ({ target: d.target, format: d.format, source: d.chain[0] })),
    });
    const xmlFile = `${localDir}/domain.xml`;
    await Deno.writeTextFile(xmlFile, xml);
    // virsh runs on this machine and sends the XML over the connection: a local file is right.
    if (persistent) {
      await must(host.virsh("define", "--file", xmlFile));
      if (running) await must(host.virsh("start", "--domain", uuid));
    } else {
      await must(host.virsh("create", "--file", xmlFile));
    }
    if (running) {
      await waitFor(`lab domain ${uuid} on ${host.name} to run`, async () => {
        const r = await host.virsh("domstate", "--domain", uuid);
        return r.code === 0 && r.stdout.trim() === "running";
      }, { timeoutMs: 60_000 });
    }
    return handle;
  } catch (e) {
    await handle.destroy().catch(() => {});
    throw new Error(
      `cannot create lab domain ${JSON.stringify(name)} on ${host.name}: ${
        e instanceof Error ? e.message : e
      }`,
      { cause: e },
    );
  }
}

function hostDomainHandle(
  host: LabHost,
  name: string,
  uuid: string,
  dir: string,
  localDir: string,
  disks: LabDisk[],
  persistent: boolean,
): HostLabDomain {
  let removal: Promise<void> | undefined;
  const destroy = () => {
    removal ??= (async () => {
      const state = await host.virsh("domstate", "--domain", uuid);
      if (state.code === 0) {
        if (state.stdout.trim() !== "shut off") await host.virsh("destroy", "--domain", uuid);
        await host.virsh("undefine", "--domain", uuid);
      }
      await Deno.remove(localDir, { recursive: true }).catch(() => {});
    })();
    return removal;
  };
  return {
    name,
    uuid,
    dir,
    localDir,
    disks,
    persistent,
    host,
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}

async function buildHostDisk(
  host: LabHost,
  dir: string,
  index: number,
  spec: LabDiskSpec,
  fill: boolean,
): Promise<LabDisk> {
  if (!/^vd[a-z]{1,2}$/.test(spec.target)) throw new Error(`bad lab disk target ${spec.target}`);
  const diskDir = `${dir}/${spec.target}`;
  await Deno.mkdir(host.localPath(diskDir));
  return await buildDiskLayers(diskDir, index, spec, { exec: host.exec, fill });
}

async function must(pending: Promise<ExecResult>): Promise<ExecResult> {
  const r = await pending;
  if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim() || `exit ${r.code}`);
  return r;
}
