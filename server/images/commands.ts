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
