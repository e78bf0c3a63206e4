/**
 * The real libvirt lab for tests: small `type='qemu'` guests with qcow2 chains full of known data,
 * each in its own directory, removed again by `await using`.
 *
 * ```ts
 * await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 3 }] });
 * const r = await labVirsh("domblklist", "--domain", dom.uuid);
 * ```
 *
 * @module
 */
import { currentOwner } from "./owner.ts";
import { labDomainXml, type LabOwner } from "./domain_xml.ts";
import { type ExecResult, labVirsh, mustExec, mustVirsh } from "./exec.ts";
import { type LabWrite, layerWrites, qemuIoWrite } from "./layers.ts";
import { LAB_ROOT, removeDomainByUuid, removeLabDir } from "./teardown.ts";
import { waitFor } from "./wait.ts";

export {
  LAB_URI,
  labDiskOnlySnapshot,
  labOutsideCopy,
  labRebaseHeader,
  labVirsh,
  qemuImg,
  qemuIo,
} from "./exec.ts";
export type { ExecResult } from "./exec.ts";
export { LAB_ROOT } from "./teardown.ts";
export { waitFor } from "./wait.ts";
export type { WaitOptions } from "./wait.ts";
export { type LabWrite, layerWrites, patternFor, qemuIoRead, qemuIoWrite } from "./layers.ts";

/** What disk a lab domain should have. */
export interface LabDiskSpec {
  /** Guest device name, `vd[a-z]+`. */
  target: string;
  /** Default "qcow2". */
  format?: "qcow2" | "raw";
  /** qcow2 chain length (default 3; raw disks have exactly 1). */
  layers?: number;
  /** Virtual size (default 64 MiB). */
  sizeMiB?: number;
  /** Backing names relative to the image's directory (`-b snap1.qcow2`), not absolute. */
  relativeBacking?: boolean;
  /**
   * An existing qcow2 image (another lab domain's layer) that this disk's bottom layer is an
   * overlay of, so two domains share it; the disk's own layers are all qcow2 overlays then.
   */
  sharedBacking?: string;
}

/** A disk as built. */
export interface LabDisk {
  target: string;
  format: "qcow2" | "raw";
  /** Absolute image paths, top first; the last one is the base. */
  chain: string[];
  /** Virtual size in MiB. */
  sizeMiB: number;
  /** What was written into each layer, aligned with `chain` (top first). */
  writes: LabWrite[][];
}

/** A lab guest. Disposing it destroys and undefines it and removes its files. */
export interface LabDomain extends AsyncDisposable {
  name: string;
  uuid: string;
  /** The domain's own directory; tests may put copy destinations here (removed with it). */
  dir: string;
  disks: LabDisk[];
  persistent: boolean;
  /** Idempotent: destroy, undefine, remove the directory. */
  destroy(): Promise<void>;
}

/** Options for {@link createLabDomain}. */
export interface CreateLabDomainOptions {
  /** Any libvirt-acceptable name, hostile ones included (default {@link uniqueName}()). */
  name?: string;
  /** Define it (default false: a transient domain). */
  persistent?: boolean;
  /** Start it (default true; a transient domain must run). */
  running?: boolean;
  /** Default: one three-layer 64 MiB qcow2 chain on vda. */
  disks?: LabDiskSpec[];
}

/** The default disk set. */
export const DEFAULT_DISKS: readonly LabDiskSpec[] = [
  { target: "vda", format: "qcow2", layers: 3, sizeMiB: 64 },
];

let nameCounter = 0;

/** A fresh domain name, `prefix` + time + counter + random, in `[A-Za-z0-9_-]` after the prefix. */
export function uniqueName(prefix = "bbt-"): string {
  nameCounter++;
  const random = crypto.getRandomValues(new Uint8Array(3));
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}${Date.now().toString(36)}-${nameCounter}-${hex}`;
}

/** Layer file names, bottom first: base.qcow2, snap1.qcow2, snap2.qcow2, ... */
export function layerFileNames(layers: number): string[] {
  return Array.from({ length: layers }, (_, i) => i === 0 ? "base.qcow2" : `snap${i}.qcow2`);
}

/** Creates a lab domain. Everything it made is removed again if any step fails. */
export function createLabDomain(opts: CreateLabDomainOptions = {}): Promise<LabDomain> {
  const uuid = crypto.randomUUID();
  return buildLabDomain({
    name: opts.name ?? uniqueName(),
    uuid,
    dir: `${LAB_ROOT}/${uuid}`,
    role: "test",
    persistent: opts.persistent ?? false,
    running: opts.running ?? true,
    disks: opts.disks ?? [...DEFAULT_DISKS],
  });
}

/**
 * Builds the files and the domain in `dir` (which must not exist). Used by
 * {@link createLabDomain} and by the standing demo set.
 */
export async function buildLabDomain(spec: {
  name: string;
  uuid: string;
  dir: string;
  role: LabOwner["role"];
  persistent: boolean;
  running: boolean;
  disks: LabDiskSpec[];
}): Promise<LabDomain> {
  if (!spec.persistent && !spec.running) {
    throw new Error(
      "a transient lab domain must be running (use persistent: true for a shut-off one)",
    );
  }
  const targets = new Set<string>();
  for (const d of spec.disks) {
    if (!/^vd[a-z]{1,2}$/.test(d.target)) {
      throw new Error(`bad lab disk target ${JSON.stringify(d.target)}`);
    }
    if (targets.has(d.target)) throw new Error(`duplicate lab disk target ${d.target}`);
    targets.add(d.target);
  }
  const owner = currentOwner(spec.role, spec.dir);
  await Deno.mkdir(LAB_ROOT, { recursive: true });
  await Deno.mkdir(spec.dir); // fails if it exists: never build over someone's files
  let defined = false;
  try {
    // Written first, so a run that dies half-way leaves a directory the next `up` can judge.
    await Deno.writeTextFile(
      `${spec.dir}/owner.json`,
      JSON.stringify({ ...owner, name: spec.name }),
    );
    const disks: LabDisk[] = [];
    for (const [index, d] of spec.disks.entries()) {
      await Deno.mkdir(`${spec.dir}/${d.target}`);
      disks.push(await buildDiskLayers(`${spec.dir}/${d.target}`, index, d));
    }
    const xml = labDomainXml({
      name: spec.name,
      uuid: spec.uuid,
      owner,
      disks: disks.map((d) => ({ target: d.target, format: d.format, source: d.chain[0] })),
    });
    const xmlPath = `${spec.dir}/domain.xml`;
    await Deno.writeTextFile(xmlPath, xml);
    defined = true;
    if (spec.persistent) {
      await mustVirsh("define", "--file", xmlPath);
      if (spec.running) await mustVirsh("start", "--domain", spec.uuid);
    } else {
      await mustVirsh("create", "--file", xmlPath);
    }
    if (spec.running) {
      await waitFor(`lab domain ${spec.uuid} to run`, async () => {
        const r = await labVirsh("domstate", "--domain", spec.uuid);
        return r.code === 0 && r.stdout.trim() === "running";
      }, { timeoutMs: 60_000 });
    }
    return labDomainHandle(spec.name, spec.uuid, spec.dir, disks, spec.persistent);
  } catch (e) {
    try {
      if (defined) await removeDomainByUuid(spec.uuid);
      await removeLabDir(spec.dir);
    } catch (cleanupError) {
      console.error(`lab: cleanup after a failed create also failed: ${cleanupError}`);
    }
    throw new Error(`cannot create lab domain ${JSON.stringify(spec.name)}: ${errorText(e)}`, {
      cause: e,
    });
  }
}

/** The handle for a lab domain that exists (also used to re-attach to a demo domain). */
export function labDomainHandle(
  name: string,
  uuid: string,
  dir: string,
  disks: LabDisk[],
  persistent: boolean,
): LabDomain {
  let removal: Promise<void> | undefined;
  const destroy = () => {
    removal ??= (async () => {
      await removeDomainByUuid(uuid);
      await removeLabDir(dir);
    })();
    return removal;
  };
  return { name, uuid, dir, disks, persistent, destroy, [Symbol.asyncDispose]: destroy };
}

/** Where {@link buildDiskLayers} runs qemu-img and qemu-io, and whether it writes data. */
export interface DiskLayerOptions {
  /** Runs one command (default: on this machine; a lab host passes its namespaced `exec`). */
  exec?: (binary: string, args: readonly string[]) => Promise<ExecResult>;
  /** Write each layer's known pattern (default true). */
  fill?: boolean;
}

/**
 * Creates the images of disk `index` in `diskDir` (which exists): the base (or an overlay of
 * `spec.sharedBacking`), then each qcow2 overlay over the one below, each with its writes.
 * Throws naming the command that failed.
 */
export async function buildDiskLayers(
  diskDir: string,
  index: number,
  spec: LabDiskSpec,
  options: DiskLayerOptions = {},
): Promise<LabDisk> {
  const format = spec.format ?? "qcow2";
  const layers = spec.layers ?? (format === "raw" ? 1 : 3);
  const sizeMiB = spec.sizeMiB ?? 64;
  if (format === "raw" && layers !== 1) {
    throw new Error(`raw disk ${spec.target} cannot have ${layers} layers`);
  }
  if (format === "raw" && spec.sharedBacking) {
    throw new Error(`raw disk ${spec.target} cannot have a backing file`);
  }
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error(`bad sizeMiB ${sizeMiB}`);
  const run = (binary: string, args: string[]) => mustExec(binary, args, options.exec);
  const bottomUp: string[] = [];
  const writesBottomUp: LabWrite[][] = [];
  const names = format === "raw" ? ["disk.raw"] : layerFileNames(layers);
  for (let layer = 0; layer < layers; layer++) {
    const path = `${diskDir}/${names[layer]}`;
    const below = layer === 0 ? spec.sharedBacking : bottomUp[layer - 1];
    if (below === undefined) {
      await run("qemu-img", ["create", "-q", "-f", format, path, `${sizeMiB}M`]);
    } else {
      const name = spec.relativeBacking && layer > 0 ? names[layer - 1] : below;
      await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", name, "-F", "qcow2", path]);
    }
    const writes = options.fill === false ? [] : layerWrites(index, layer, layers, sizeMiB);
    if (writes.length) {
      await run("qemu-io", [
        "-f",
        format,
        ...writes.flatMap((w) => ["-c", qemuIoWrite(w)]),
        path,
      ]);
    }
    bottomUp.push(path);
    writesBottomUp.push(writes);
  }
  return {
    target: spec.target,
    format,
    chain: bottomUp.toReversed(),
    sizeMiB,
    writes: writesBottomUp.toReversed(),
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
