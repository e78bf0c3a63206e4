/**
 * Planning a move: from each disk's chain as read now (top first, formats and sizes known) to
 * every file's new path, the relative backing names, the new live top, the exact commands and
 * the chain afterwards. Pure: the gathering (virsh, qemu-img headers, stat) and the destination
 * checks on the file system are the service's; this decides.
 *
 * @module
 */
import { basename } from "node:path";
import {
  compareArgs,
  convertLayerArgs,
  createImageArgs,
  ImageArgsError,
  type ImageFormat,
  isImageFormat,
  type RelativeBacking,
} from "../images/commands.ts";
import { blockCopyArgs, CommandBuildError } from "../virsh/commands.ts";
import { displayCommandLine, quoteWord } from "../virsh/display.ts";
import { JobInputError } from "../jobs/errors.ts";
import { type MirrorTuning, setTuning } from "../jobs/mirror_tuning.ts";
import { layerBytesToCopy, moveTotals } from "./progress.ts";
import type {
  MoveCommand,
  MoveMode,
  MovePlan,
  MoveRequest,
  PlannedMoveDisk,
  PlannedMoveLayer,
} from "./model.ts";

/** A layer as read now. */
export interface SourceLayer {
  path: string;
  format: ImageFormat;
  /** Allocated bytes of the file. */
  bytes: number;
  virtualSize: number;
}

/** A disk as read now: its whole chain, top first. */
export interface SourceDisk {
  target: string;
  chain: SourceLayer[];
}

/** What the planner needs. */
export interface MovePlanInput {
  domain: string;
  uuid: string;
  uri: string;
  persistent: boolean;
  mode: MoveMode;
  /** The disks to move (already selected: the request's, or every disk with an image). */
  disks: SourceDisk[];
  request: MoveRequest;
}

/** Display form of a qemu-img call. Pure. */
export function qemuImgCommandLine(argv: readonly string[]): string {
  return ["qemu-img", ...argv].map(quoteWord).join(" ");
}

function qemuImg(argv: string[]): MoveCommand {
  return { program: "qemu-img", argv, commandLine: qemuImgCommandLine(argv) };
}

/** True when two disks of the move have layers with the same file name. Pure. */
export function namesCollide(disks: readonly SourceDisk[]): boolean {
  const owner = new Map<string, string>();
  for (const disk of disks) {
    for (const layer of disk.chain) {
      const name = basename(layer.path);
      const other = owner.get(name);
      if (other !== undefined && other !== disk.target) return true;
      owner.set(name, disk.target);
    }
  }
  return false;
}

function argsOrRefuse<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof ImageArgsError) throw new JobInputError(field, e.message);
    if (e instanceof CommandBuildError) throw new JobInputError(e.field, e.message);
    throw e;
  }
}

/** Plans the move. Pure; throws {@link JobInputError} with a sentence. */
export function planMove(input: MovePlanInput): MovePlan {
  const { request, mode } = input;
  const destDir = request.destDir;
  const bandwidthBytes = request.bandwidthBytes ?? 0;
  if (input.disks.length === 0) {
    throw new JobInputError("disks", `domain ${input.domain} has no disk with an image to move`);
  }
  const tuning = setTuning(request);
  const subfolders = namesCollide(input.disks);
  const notes: string[] = [];
  if (subfolders) {
    notes.push(
      `layers of different disks share file names, so each disk's copies go into its own subfolder (${destDir}/TARGET)`,
    );
  }
  const disks = input.disks.map((disk) =>
    planDisk(
      input,
      disk,
      subfolders ? `${destDir}/${disk.target}` : destDir,
      bandwidthBytes,
      tuning,
    )
  );
  if (mode === "live") {
    notes.push(
      "the backing layers are read-only while the domain runs: they are copied with qemu-img; the active layer is mirrored by libvirt into a new overlay on the copies, and the domain switches to it at the pivot",
    );
    if (input.persistent) {
      notes.push(
        "--transient-job: the domain is persistent; if it shuts down before the switch the mirror ends and the move fails, leaving the domain on its old chain",
      );
    }
    if (tuning.synchronousWrites) {
      notes.push(
        "synchronous writes: every guest write reaches the old and the new top before the guest sees it done, so the mirror converges however fast the guest writes; the guest's writes get as slow as the destination",
      );
    }
  } else {
    if (Object.keys(tuning).length > 0) {
      notes.push(
        "the mirror tuning (synchronous writes, granularity, buffer) does not apply: an offline move runs no mirror",
      );
    }
    notes.push(
      "the domain is shut off: every layer is copied, then its definition is changed to the new chain (virsh define)",
    );
  }
  notes.push(
    "each copy records its backing file by a relative name (qemu-img convert -B NAME -F FMT writes only the layer's own clusters), and is compared with its source before the next step",
    "the old chain is never modified; remove it with Clean up after the move",
  );
  return {
    domain: input.domain,
    uuid: input.uuid,
    persistent: input.persistent,
    mode,
    destDir,
    pivot: request.pivot ?? "manual",
    bandwidthBytes,
    tuning,
    disks,
    bytesTotal: moveTotals({ disks }).bytesTotal,
    notes,
  };
}

function planDisk(
  input: MovePlanInput,
  disk: SourceDisk,
  dir: string,
  bandwidthBytes: number,
  tuning: MirrorTuning,
): PlannedMoveDisk {
  const chain = disk.chain;
  if (chain.length === 0) {
    throw new JobInputError("disks", `disk ${disk.target} has no image to move`);
  }
  const names = new Set<string>();
  for (const layer of chain) {
    if (!isImageFormat(layer.format)) {
      throw new JobInputError(
        "disks",
        `${layer.path} is a ${layer.format} layer; blockboard moves qcow2 and raw layers only`,
      );
    }
    const name = basename(layer.path);
    if (names.has(name)) {
      throw new JobInputError(
        "disks",
        `two layers of ${disk.target} are named ${name}; a move keeps file names, so they cannot share a directory`,
      );
    }
    names.add(name);
    if (`${dir}/${name}` === layer.path) {
      throw new JobInputError(
        "destDir",
        `${layer.path} is already there: choose a directory that does not hold the chain`,
      );
    }
  }
  const layers: PlannedMoveLayer[] = chain.map((layer, i) => {
    const below = chain[i + 1];
    const action = input.mode === "live" && i === 0 ? "create-and-mirror" : "copy";
    if (below !== undefined && layer.format !== "qcow2") {
      throw new JobInputError(
        "disks",
        `${layer.path} is ${layer.format} but has a backing file; only qcow2 layers can`,
      );
    }
    return {
      from: layer.path,
      to: `${dir}/${basename(layer.path)}`,
      format: layer.format,
      bytes: layerBytesToCopy(layer, action),
      allocatedBytes: layer.bytes,
      virtualSize: layer.virtualSize,
      backingName: below ? basename(below.path) : null,
      backingFormat: below ? below.format : null,
      action,
    };
  });
  const backingOf = (l: PlannedMoveLayer): RelativeBacking | null =>
    l.backingName !== null && l.backingFormat !== null
      ? { name: l.backingName, format: l.backingFormat }
      : null;
  const commands: MoveCommand[] = [];
  // Bottom up: a copy's backing name must resolve to a copy that exists.
  for (const layer of [...layers].reverse()) {
    if (layer.action !== "copy") continue;
    commands.push(
      qemuImg(argsOrRefuse("destDir", () =>
        convertLayerArgs({
          source: layer.from,
          sourceFormat: layer.format,
          dest: layer.to,
          destFormat: layer.format,
          backing: backingOf(layer),
          rateBytes: bandwidthBytes,
        }))),
      qemuImg(argsOrRefuse(
        "destDir",
        () => compareArgs(layer.from, layer.format, layer.to, layer.format),
      )),
    );
  }
  const top = layers[0];
  if (input.mode === "live") {
    commands.push(qemuImg(argsOrRefuse(
      "destDir",
      () => createImageArgs(top.to, top.format, top.virtualSize, backingOf(top)),
    )));
    const argv = argsOrRefuse("destDir", () =>
      blockCopyArgs(input.uuid, disk.target, {
        dest: top.to,
        format: top.format,
        persistent: input.persistent,
        shallow: layers.length > 1,
        reuseExternal: true,
        bandwidthBytes,
        ...tuning,
      }));
    commands.push({ program: "virsh", argv, commandLine: displayCommandLine(input.uri, argv) });
  } else {
    // The file is a private temporary one holding dumpxml --inactive with the new sources.
    const argv = ["define", "--file", "/tmp/blockboard-move-DEFINITION.xml"];
    commands.push({ program: "virsh", argv, commandLine: displayCommandLine(input.uri, argv) });
  }
  return {
    target: disk.target,
    dir,
    layers,
    commands,
    chainAfter: layers.map((l) => ({ path: l.to, format: l.format })),
  };
}
