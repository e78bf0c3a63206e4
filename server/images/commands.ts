/**
 * Pure argv builders for `qemu-img`. Each returns the arguments after the binary. The format is
 * always explicit (`-f`): a probe would believe whatever header a guest wrote into a raw disk.
 *
 * @module
 */
import { hostPathSchema } from "../virsh/values.ts";

/** Image formats blockboard reads headers of (the ones it copies to). */
export type ImageFormat = "qcow2" | "raw";

/** True for a format blockboard reads ({@link ImageFormat}). Pure. */
export function isImageFormat(value: unknown): value is ImageFormat {
  return value === "qcow2" || value === "raw";
}

/** True when `args` carry `-f FMT` with a format blockboard reads. Pure. */
export function hasExplicitFormat(args: readonly string[]): boolean {
  const i = args.indexOf("-f");
  return i >= 0 && isImageFormat(args[i + 1]);
}

/** Thrown when an argv would be unsafe (a path that is not absolute, an unknown format). */
export class ImageArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageArgsError";
  }
}

/**
 * `info -f FMT --output=json -- PATH`: one image's own header, read with its recorded format.
 * Never `--backing-chain` (that would open whatever the header names) and never `-U`, so an
 * image a running QEMU writes to is refused ("Failed to get shared "write" lock") instead of
 * being read half-written.
 */
export function imageInfoArgs(path: string, format: ImageFormat): string[] {
  if (!isImageFormat(format)) throw new ImageArgsError(`unsupported image format ${format}`);
  const r = hostPathSchema.safeParse(path);
  if (!r.success) {
    throw new ImageArgsError(`${JSON.stringify(path)} ${r.error.issues[0]?.message ?? ""}`);
  }
  return ["info", "-f", format, "--output=json", "--", r.data];
}

function checkedPath(path: string): string {
  const r = hostPathSchema.safeParse(path);
  if (!r.success) {
    throw new ImageArgsError(`${JSON.stringify(path)} ${r.error.issues[0]?.message ?? ""}`);
  }
  return r.data;
}

function checkedFormat(format: string): ImageFormat {
  if (!isImageFormat(format)) throw new ImageArgsError(`unsupported image format ${format}`);
  return format;
}

/**
 * A backing reference written into a copy: a plain file name or a relative path below the
 * copy's directory (no `..`, no `:` that QEMU would read as a protocol, no control characters).
 */
function checkedRelativeName(name: string): string {
  if (
    name === "" || name.startsWith("/") || name.includes(":") ||
    name.split("/").some((s) => s === "" || s === "." || s === "..") ||
    [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  ) {
    throw new ImageArgsError(`${JSON.stringify(name)} is not a plain relative backing name`);
  }
  return name;
}

/** A layer's backing reference in a copy: relative name and its format. */
export interface RelativeBacking {
  name: string;
  format: ImageFormat;
}

/**
 * `convert -p -f FMT -O FMT [-r RATE] [-B NAME -F FMT] -- SRC DST`: copies ONE layer. With a
 * backing (`-B`), qemu-img writes only the clusters allocated in SRC's own layer (zeroed
 * clusters included) and records NAME, relative to DST's directory, with its format: the copy
 * reads like SRC as long as NAME holds a copy of SRC's backing chain. Without it, the base layer
 * is copied whole. Sparse (qemu-img skips zero runs, `-S` default 4 KiB); `-r` limits reading to
 * RATE bytes/s (0 or absent: unlimited). Both formats explicit: nothing is probed.
 */
export function convertLayerArgs(options: {
  source: string;
  sourceFormat: ImageFormat;
  dest: string;
  destFormat: ImageFormat;
  backing: RelativeBacking | null;
  rateBytes?: number;
}): string[] {
  const args = [
    "convert",
    "-p",
    "-f",
    checkedFormat(options.sourceFormat),
    "-O",
    checkedFormat(options.destFormat),
  ];
  const rate = options.rateBytes ?? 0;
  if (!Number.isSafeInteger(rate) || rate < 0) {
    throw new ImageArgsError(`rate limit must be a whole number of bytes/s, got ${rate}`);
  }
  if (rate > 0) args.push("-r", String(rate));
  if (options.backing !== null) {
    if (options.destFormat !== "qcow2") {
      throw new ImageArgsError("only a qcow2 copy can have a backing file");
    }
    args.push(
      "-B",
      checkedRelativeName(options.backing.name),
      "-F",
      checkedFormat(options.backing.format),
    );
  }
  return [...args, "--", checkedPath(options.source), checkedPath(options.dest)];
}

/**
 * `compare -f FMT -F FMT -- A B`: exit 0 when the guest sees the same data through both chains,
 * 1 when they differ. `-U` for a chain a running QEMU has open read-only (backing layers).
 */
export function compareArgs(
  a: string,
  aFormat: ImageFormat,
  b: string,
  bFormat: ImageFormat,
  options: { shared?: boolean } = {},
): string[] {
  return [
    "compare",
    ...(options.shared ? ["-U"] : []),
    "-f",
    checkedFormat(aFormat),
    "-F",
    checkedFormat(bFormat),
    "--",
    checkedPath(a),
    checkedPath(b),
  ];
}

/**
 * `create -f FMT [-b NAME -F FMT] -- PATH SIZE`: an empty image of SIZE bytes; with a backing
 * reference (relative to PATH's directory, format recorded) for a qcow2 overlay.
 */
export function createImageArgs(
  path: string,
  format: ImageFormat,
  virtualSize: number,
  backing: RelativeBacking | null,
): string[] {
  if (!Number.isSafeInteger(virtualSize) || virtualSize <= 0) {
    throw new ImageArgsError(`virtual size must be a positive whole number, got ${virtualSize}`);
  }
  const args = ["create", "-q", "-f", checkedFormat(format)];
  if (backing !== null) {
    if (format !== "qcow2") throw new ImageArgsError("only a qcow2 image can have a backing file");
    args.push("-b", checkedRelativeName(backing.name), "-F", checkedFormat(backing.format));
  }
  return [...args, "--", checkedPath(path), String(virtualSize)];
}
