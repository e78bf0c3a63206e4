/**
 * What data the lab writes into each layer of a disk, so that pull, commit and copy change
 * something a test can read back. Pure: no I/O.
 *
 * @module
 */

const MiB = 1024 * 1024;
const KiB = 1024;

/** One `qemu-io write -P pattern offset length` into one layer. */
export interface LabWrite {
  /** Byte offset in the guest-visible disk. */
  offset: number;
  /** Byte count. */
  length: number;
  /** Fill byte, 0x00-0xff. */
  pattern: number;
}

/** The fill byte of layer `layer` (0 = bottom) of disk number `disk` (0 = first): 0xDL. */
export function patternFor(disk: number, layer: number): number {
  if (disk < 0 || disk > 14 || layer < 0 || layer > 14) {
    throw new RangeError(
      `the lab supports up to 15 disks of up to 15 layers (disk ${disk}, layer ${layer})`,
    );
  }
  return ((disk + 1) << 4) | (layer + 1);
}

/**
 * The writes for layer `layer` (0 = bottom) of a disk of `layers` layers and `sizeMiB` MiB.
 *
 * The disk is cut into `layers + 1` equal regions. Layer i fills the start of region i with its
 * pattern, half a region long for the base and half as much again for each layer above (at least
 * 64 KiB): 8 MiB, 4 MiB, 2 MiB on the default 64 MiB, three-layer disk. Every layer above the base
 * also overwrites the first 64 KiB of the disk, so what the guest sees at offset 0 is the top
 * layer's pattern and a commit or pull visibly moves data.
 */
export function layerWrites(
  disk: number,
  layer: number,
  layers: number,
  sizeMiB: number,
): LabWrite[] {
  if (!Number.isInteger(layers) || layers < 1) {
    throw new RangeError(`layers must be >= 1, got ${layers}`);
  }
  if (layer < 0 || layer >= layers) throw new RangeError(`layer ${layer} outside 0..${layers - 1}`);
  const size = sizeMiB * MiB;
  const region = Math.floor(size / (layers + 1) / (64 * KiB)) * 64 * KiB;
  if (region < 128 * KiB) {
    throw new RangeError(`${sizeMiB} MiB is too small for ${layers} layers of lab data`);
  }
  const pattern = patternFor(disk, layer);
  const length = Math.max(Math.floor(region / 2 / 2 ** layer / (64 * KiB)) * 64 * KiB, 64 * KiB);
  const writes: LabWrite[] = [{ offset: layer * region, length, pattern }];
  if (layer > 0) writes.push({ offset: 0, length: 64 * KiB, pattern });
  return writes;
}

/** The `qemu-io -c` command string for one write. */
export function qemuIoWrite(write: LabWrite): string {
  return `write -P 0x${
    write.pattern.toString(16).padStart(2, "0")
  } ${write.offset} ${write.length}`;
}

/** The `qemu-io -c` command string that verifies one write (exit 0 and no "Pattern verification failed"). */
export function qemuIoRead(write: LabWrite): string {
  return `read -P 0x${write.pattern.toString(16).padStart(2, "0")} ${write.offset} ${write.length}`;
}
