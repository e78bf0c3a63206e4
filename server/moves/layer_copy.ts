/**
 * Copying one layer of a move: the destination rule once more right before the file is created,
 * `qemu-img convert` (one layer, explicit formats, sparse, rate-limited, relative backing name
 * recorded), then `qemu-img compare` of the copy's chain against the source's before going on.
 *
 * @module
 */
import { compareArgs, convertLayerArgs } from "../images/commands.ts";
import { QemuImgError } from "../images/errors.ts";
import type { QemuImgRunner, ReportingQemuImg } from "../images/runner.ts";
import { checkNewFile, type MoveDestinationOptions } from "./destination.ts";
import type { PlannedMoveLayer } from "./model.ts";

/** A copy that does not read like its source. */
export class CopyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CopyMismatchError";
  }
}

/** What copying a layer needs. */
export interface LayerCopyDeps {
  /** Runs the convert (reported to the audit) and the compare. */
  qemuImg: Pick<ReportingQemuImg, "run" | "convert">;
  destination: MoveDestinationOptions;
  /** Called before the file is created, so a cancel or failure knows to remove it. */
  created(path: string): void;
  onProgress(fraction: number): void;
  onVerifying(): void;
  signal: AbortSignal;
  bandwidthBytes: number;
  /** The source chain is open in a running QEMU (read-only): compare with `-U`. */
  sourceInUse: boolean;
}

/** Copies `layer` to `layer.to` and verifies it; rejects with a typed error. */
export async function copyLayer(layer: PlannedMoveLayer, deps: LayerCopyDeps): Promise<void> {
  checkNewFile(layer.to, deps.destination);
  deps.created(layer.to);
  const backing = layer.backingName !== null && layer.backingFormat !== null
    ? { name: layer.backingName, format: layer.backingFormat }
    : null;
  await deps.qemuImg.convert(
    convertLayerArgs({
      source: layer.from,
      sourceFormat: layer.format,
      dest: layer.to,
      destFormat: layer.format,
      backing,
      rateBytes: deps.bandwidthBytes,
    }),
    { onProgress: deps.onProgress, signal: deps.signal },
  );
  deps.signal.throwIfAborted();
  deps.onVerifying();
  await verifyLayerCopy(layer, deps.qemuImg, deps.sourceInUse);
}

/** `qemu-img compare` of the copy's chain with the source's; {@link CopyMismatchError} if they differ. */
export async function verifyLayerCopy(
  layer: PlannedMoveLayer,
  qemuImg: QemuImgRunner,
  sourceInUse: boolean,
): Promise<void> {
  try {
    await qemuImg.run(
      compareArgs(layer.from, layer.format, layer.to, layer.format, { shared: sourceInUse }),
    );
  } catch (e) {
    if (e instanceof QemuImgError && e.code === 1) {
      throw new CopyMismatchError(
        `the copy ${layer.to} does not read like ${layer.from} (${e.message})`,
      );
    }
    throw e;
  }
}
