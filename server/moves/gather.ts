/**
 * What a move is planned from, read now: the domain's XML (live for a running domain; for a
 * shut-off one the inactive definition, whose chain the layers' own headers complete), its state,
 * whether it is persistent, and each layer's allocated bytes and virtual size.
 *
 * @module
 */
import { walkHeaderChain } from "../images/chain.ts";
import type { ImageFormat } from "../images/commands.ts";
import { isImageFormat } from "../images/commands.ts";
import { readImageHeader } from "../images/header.ts";
import type { QemuImgRunner } from "../images/runner.ts";
import { jobsPossibleIn } from "../jobs/can_start.ts";
import { mapVirshError } from "../jobs/disk_context.ts";
import { JobConflictError, JobInputError } from "../jobs/errors.ts";
import { assertSafeChain } from "../jobs/plan_checks.ts";
import {
  domStateArgs,
  domStatsBlockArgs,
  dumpXmlArgs,
  listPersistentArgs,
} from "../virsh/commands.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { type DomainXml, parseDomainXml, type XmlDisk } from "../virsh/parse/domxml.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { MoveMode, MoveRequest } from "./model.ts";
import type { SourceDisk, SourceLayer } from "./plan.ts";

/** The domain as a move sees it. */
export interface GatheredDomain {
  xml: DomainXml;
  state: string;
  persistent: boolean;
  mode: MoveMode;
  /** The selected disks with their whole chains. */
  disks: SourceDisk[];
}

/** What gathering needs. */
export interface GatherDeps {
  runner: VirshRunner;
  qemuImg: QemuImgRunner;
  /** Allocated bytes of a file (default: `stat` blocks × 512). */
  allocatedBytes?: (path: string) => Promise<number>;
}

async function statAllocated(path: string): Promise<number> {
  const info = await Deno.stat(path);
  return info.blocks !== null ? info.blocks * 512 : info.size;
}

/** The disks a request selects: the named ones, or every disk with an image (not cdroms). */
export function selectDisks(xml: DomainXml, request: MoveRequest): XmlDisk[] {
  if (request.disks === undefined) {
    return xml.disks.filter((d) => d.device === "disk" && d.chain.length > 0);
  }
  return request.disks.map((target) => {
    const disk = xml.disks.find((d) => d.target === target);
    if (!disk) {
      throw new JobInputError(
        "disks",
        `domain ${xml.name} has no disk ${target} (it has ${
          xml.disks.map((d) => d.target).join(", ") || "none"
        })`,
      );
    }
    if (disk.device !== "disk" || disk.chain.length === 0) {
      throw new JobInputError("disks", `${target} is a ${disk.device} without an image to move`);
    }
    return disk;
  });
}

/** Reads the domain `uuid` and the selected disks' chains. */
export async function gatherDomain(
  deps: GatherDeps,
  uuid: string,
  request: MoveRequest,
): Promise<GatheredDomain> {
  const allocated = deps.allocatedBytes ?? statAllocated;
  let state: string;
  let persistent: boolean;
  let xml: DomainXml;
  try {
    const [stateOut, persistentOut] = await Promise.all([
      deps.runner.run(domStateArgs(uuid)),
      deps.runner.run(listPersistentArgs()),
    ]);
    state = stateOut.stdout.trim().split("\n")[0].trim();
    persistent = parseUuidList(persistentOut.stdout).includes(uuid);
    const live = jobsPossibleIn(state);
    xml = parseDomainXml((await deps.runner.run(dumpXmlArgs(uuid, { inactive: !live }))).stdout);
  } catch (e) {
    throw mapVirshError(e);
  }
  let mode: MoveMode;
  if (jobsPossibleIn(state)) mode = "live";
  else if (state === "shut off" && persistent) mode = "offline";
  else {
    throw new JobConflictError(
      "not-running",
      `domain ${xml.name} is ${state}; a move needs it running (live move) or shut off and defined (offline move)`,
    );
  }
  const selected = selectDisks(xml, request);
  let capacities = new Map<string, number>();
  if (mode === "live") {
    try {
      const stats = parseDomstats((await deps.runner.run(domStatsBlockArgs(uuid))).stdout);
      capacities = new Map(
        (stats[0]?.blocks ?? []).filter((b) => b.capacity !== null).reverse().map((
          b,
        ) => [b.name, b.capacity!]),
      );
    } catch (e) {
      throw mapVirshError(e);
    }
  }
  const disks: SourceDisk[] = [];
  for (const disk of selected) {
    if (disk.type !== "file") {
      throw new JobInputError(
        "disks",
        `${disk.target} is a ${disk.type} disk; blockboard moves file-backed chains only`,
      );
    }
    if (disk.mirror) {
      throw new JobConflictError(
        "job-exists",
        `disk ${disk.target} already has a block job; finish or abort it first`,
      );
    }
    const chain = mode === "live"
      ? liveChain(disk)
      : await headerChain(deps, disk.chain[0].path, disk.chain[0].format, disk.target);
    const layers: SourceLayer[] = [];
    for (const [i, layer] of chain.entries()) {
      const bytes = await allocated(layer.path).catch(() => {
        throw new JobInputError("disks", `${layer.path} cannot be read`);
      });
      let virtualSize: number;
      if (mode === "live" && i === 0) {
        virtualSize = capacities.get(disk.target) ?? 0;
        if (virtualSize <= 0) {
          throw new JobInputError("disks", `libvirt reports no size for ${disk.target}`);
        }
      } else {
        virtualSize = (await readImageHeader(deps.qemuImg, layer.path, layer.format)).virtualSize;
      }
      layers.push({ ...layer, bytes, virtualSize });
    }
    disks.push({ target: disk.target, chain: layers });
  }
  return { xml, state, persistent, mode, disks };
}

function liveChain(disk: XmlDisk): { path: string; format: ImageFormat }[] {
  assertSafeChain(disk);
  return disk.chain.map((l) => {
    if (!isImageFormat(l.format)) {
      throw new JobInputError(
        "disks",
        `${l.path} is a ${l.format} layer; blockboard moves qcow2 and raw layers only`,
      );
    }
    if (l.type !== "file") {
      throw new JobInputError("disks", `${l.path} is not a file; a move copies files only`);
    }
    return { path: l.path, format: l.format };
  });
}

async function headerChain(
  deps: GatherDeps,
  top: string,
  format: string | null,
  target: string,
): Promise<{ path: string; format: ImageFormat }[]> {
  if (!isImageFormat(format)) {
    throw new JobInputError(
      "disks",
      `the definition does not record ${target}'s format as qcow2 or raw; blockboard never probes it`,
    );
  }
  try {
    const chain = await walkHeaderChain(top, format, {
      readHeader: (path, fmt) => readImageHeader(deps.qemuImg, path, fmt),
      realPath: (path) => Deno.realPath(path),
      // The definition already points QEMU at these files; the move only reads them.
      placeProblem: () => null,
    });
    return chain.map((l) => ({ path: l.path, format: l.format }));
  } catch (e) {
    if (e instanceof Error && e.name === "ChainRefusal") {
      throw new JobInputError("disks", `${target}: ${e.message}`);
    }
    throw e;
  }
}
