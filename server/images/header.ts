/**
 * Reading one image's header through a {@link QemuImgRunner}: explicit format, no backing chain.
 *
 * @module
 */
import { type ImageFormat, imageInfoArgs } from "./commands.ts";
import { type ImageHeader, parseImageInfo } from "./info.ts";
import type { QemuImgRunner } from "./runner.ts";

/** `qemu-img info -f FORMAT --output=json -- PATH`, parsed. Rejects with QemuImgError. */
export async function readImageHeader(
  runner: QemuImgRunner,
  path: string,
  format: ImageFormat,
): Promise<ImageHeader> {
  const out = await runner.run(imageInfoArgs(path, format));
  return parseImageInfo(out.stdout);
}
