/**
 * Walks an image's backing chain the way QEMU will open it, one header at a time, each read with
 * the format the layer above recorded for it, and refuses what blockboard cannot vouch for: a
 * backing file without a recorded format (QEMU would probe it), `json:` and protocol references,
 * external data files, layers that do not exist, loops, and layers in places the caller refuses
 * (outside the storage roots, in directories others can write).
 *
 * @module
 */
import { type ImageFormat, isImageFormat } from "./commands.ts";
import type { ImageHeader } from "./info.ts";

/** A layer of a chain as its headers describe it. */
export interface HeaderLayer {
  /**
   * The path as QEMU and libvirt name it: the top as given, a backing file as recorded, relative
   * names joined to the directory of the layer above (libvirt shows `dir/../x.qcow2` the same way).
   */
  path: string;
  /** The file it resolves to now (symlinks and `..` resolved). */
  realPath: string;
  format: ImageFormat;
}

/** Why a chain is refused; the message is a sentence for the operator. */
export class ChainRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChainRefusal";
  }
}

/** What the walk needs; injected so the rules are testable on captured headers. */
export interface ChainWalkDeps {
  /** One header, read with an explicit format and without following its backing file. */
  readHeader(realPath: string, format: ImageFormat): Promise<ImageHeader>;
  /** The file a path resolves to; rejects with `Deno.errors.NotFound` when it does not exist. */
  realPath(path: string): Promise<string>;
  /** Why QEMU must not open a backing layer at this real path, or null when it may. */
  placeProblem(realPath: string): string | null;
}

/** Longest chain followed; a longer one is refused rather than walked forever. */
export const MAX_CHAIN_DEPTH = 64;

/**
 * The path QEMU opens for `name` recorded in the header of the image at `layerPath`: absolute as
 * is, relative joined to the layer's directory (QEMU's `path_combine`, no normalisation). Pure;
 * throws {@link ChainRefusal} for `json:` and protocol references (a `:` before the first `/`).
 */
export function resolveBackingName(layerPath: string, name: string): string {
  if (name === "") throw new ChainRefusal(`${layerPath} names an empty backing file`);
  if (name.startsWith("json:")) {
    throw new ChainRefusal(
      `${layerPath} names its backing file with a json: description; blockboard only follows plain file names`,
    );
  }
  const colon = name.indexOf(":");
  const slash = name.indexOf("/");
  if (colon >= 0 && (slash < 0 || colon < slash)) {
    throw new ChainRefusal(
      `${layerPath} names a protocol backing file (${name}); blockboard only follows plain file names`,
    );
  }
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new ChainRefusal(`${layerPath} names a backing file with control characters`);
  }
  if (name.startsWith("/")) return name;
  return `${layerPath.slice(0, layerPath.lastIndexOf("/"))}/${name}`;
}

/**
 * Reads the chain starting at `top` (whose own placement the caller has checked) down to the
 * layer without a backing file. Top first. Throws {@link ChainRefusal} with the reason.
 */
export async function walkHeaderChain(
  top: string,
  format: ImageFormat,
  deps: ChainWalkDeps,
): Promise<HeaderLayer[]> {
  const chain: HeaderLayer[] = [];
  const seen = new Set<string>();
  let layer: HeaderLayer = { path: top, realPath: await realOf(deps, top, null), format };
  for (;;) {
    if (seen.has(layer.realPath)) {
      throw new ChainRefusal(`the backing chain of ${top} loops back to ${layer.realPath}`);
    }
    seen.add(layer.realPath);
    chain.push(layer);
    if (chain.length > MAX_CHAIN_DEPTH) {
      throw new ChainRefusal(
        `the backing chain of ${top} is longer than ${MAX_CHAIN_DEPTH} layers`,
      );
    }
    const header = await deps.readHeader(layer.realPath, layer.format);
    if (header.dataFile !== null) {
      throw new ChainRefusal(
        `${layer.path} keeps its data in an external data file (${header.dataFile}); blockboard refuses data-file references`,
      );
    }
    if (header.backing === null) return chain;
    const { name, format: backingFormat } = header.backing;
    if (backingFormat === null) {
      throw new ChainRefusal(
        `${layer.path} names a backing file (${name}) without its format; QEMU would have to probe it, which blockboard never allows. Record it: qemu-img rebase -u -f qcow2 -b BACKING -F FMT ${layer.path}`,
      );
    }
    if (!isImageFormat(backingFormat)) {
      throw new ChainRefusal(
        `${layer.path} names a ${backingFormat} backing file (${name}); blockboard follows qcow2 and raw layers only`,
      );
    }
    const path = resolveBackingName(layer.path, name);
    const realPath = await realOf(deps, path, layer.path);
    const problem = deps.placeProblem(realPath);
    if (problem !== null) {
      throw new ChainRefusal(
        `${layer.path} names the backing file ${name}, which resolves to ${realPath}: ${problem}`,
      );
    }
    layer = { path, realPath, format: backingFormat };
  }
}

async function realOf(deps: ChainWalkDeps, path: string, namedBy: string | null): Promise<string> {
  try {
    return await deps.realPath(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new ChainRefusal(
        namedBy === null
          ? `${path} does not exist`
          : `${namedBy} names the backing file ${path}, which does not exist`,
      );
    }
    throw new ChainRefusal(`cannot resolve ${path}: ${(e as Error).message}`);
  }
}
