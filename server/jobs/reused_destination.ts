/**
 * What a pre-created copy destination (`--reuse-external`) really is: libvirt reads its header
 * and QEMU opens whatever backing file that header names, so the header decides what the guest
 * sees after the pivot. This reads it (explicit format, one header at a time), walks the chain it
 * names inside the storage roots only, and checks it is the chain the copy needs.
 *
 * @module
 */
import type { CopyFormat } from "../virsh/commands.ts";
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import { ChainRefusal, walkHeaderChain } from "../images/chain.ts";
import { QemuImgError } from "../images/errors.ts";
import { readImageHeader } from "../images/header.ts";
import { ImageInfoParseError } from "../images/info.ts";
import type { QemuImgRunner } from "../images/runner.ts";
import { layerPlaceProblem } from "../security/destinations.ts";
import { type ResolvedLayer, reusedDestinationProblem } from "./chain_match.ts";
import { JobInputError } from "./errors.ts";

/** The destination a copy would reuse. */
export interface ReusedDestination {
  dest: string;
  /** The format the operator gave (never probed). */
  format: CopyFormat;
  /** The disk being copied (its backing chain, for a shallow copy). */
  disk: XmlDisk;
  shallow: boolean;
  /** The backing chain it must have instead of the disk's own (see `CopyInput.expectedBacking`). */
  expectedBacking?: readonly { path: string; format: string | null }[];
}

/** What the inspection needs. */
export interface ReusedDestinationDeps {
  qemuImg: QemuImgRunner;
  /** Storage roots every layer must resolve into; null: no root restriction. */
  roots: readonly string[] | null;
}

/** The destination's chain (top first, as its headers say) and the file it was read from. */
export interface InspectedDestination {
  chain: ResolvedLayer[];
  /** `dev:ino` of the destination when its header was read (see {@link fileIdentity}). */
  identity: string;
}

/** `dev:ino` of the file at `path` itself (not following a link). */
export function fileIdentity(path: string): string {
  const info = Deno.lstatSync(path);
  return `${info.dev}:${info.ino}`;
}

/** The file a path resolves to, or null when it does not resolve. */
export async function realPathOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch {
    return null;
  }
}

/**
 * Reads the destination's chain and refuses (JobInputError on `dest`) a destination whose chain
 * QEMU must not open or that is not the chain the copy needs (see
 * {@link reusedDestinationProblem}). The destination's own placement is checked before this.
 */
export async function inspectReusedDestination(
  { dest, format, disk, shallow, expectedBacking }: ReusedDestination,
  deps: ReusedDestinationDeps,
): Promise<InspectedDestination> {
  const refuse = (why: string): never => {
    throw new JobInputError("dest", why);
  };
  const identity = fileIdentity(dest);
  let chain: ResolvedLayer[] = [];
  try {
    chain = await walkHeaderChain(dest, format, {
      readHeader: (path, fmt) => readImageHeader(deps.qemuImg, path, fmt),
      realPath: (path) => Deno.realPath(path),
      placeProblem: (real) => layerPlaceProblem(real, deps.roots),
    });
  } catch (e) {
    if (e instanceof ChainRefusal) refuse(e.message);
    if (e instanceof ImageInfoParseError) refuse(`cannot read its header: ${e.message}`);
    if (e instanceof QemuImgError) refuse(headerFailure(e, format));
    throw e;
  }
  // The header read was of this file: it was not replaced while qemu-img read it.
  if (fileIdentity(dest) !== identity) refuse("was replaced while its header was read");
  const diskBacking: ResolvedLayer[] = await Promise.all(
    (expectedBacking ?? disk.chain.slice(1)).map(async (l) => ({
      path: l.path,
      realPath: await realPathOrNull(l.path),
      format: l.format,
    })),
  );
  const problem = reusedDestinationProblem(chain, diskBacking, shallow);
  if (problem !== null) refuse(problem);
  return { chain, identity };
}

function headerFailure(e: QemuImgError, format: string): string {
  const path = e.argv[e.argv.length - 1];
  switch (e.kind) {
    case "locked":
      return `${path} is open for writing by a running QEMU (another domain's disk?); blockboard never copies into an image in use`;
    case "wrong-format":
      return `${path} is not a ${format} image (${e.message}); create it with qemu-img create -f ${format}, or choose its real format`;
    case "not-found":
      return `${path} does not exist`;
    case "missing-binary":
    case "timeout":
      throw e; // the host's problem, not the request's: 503
    default:
      return `cannot read the header of ${path}: ${e.message}`;
  }
}
