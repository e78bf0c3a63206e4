/**
 * Parser of `qemu-img info --output=json` for one image (no `--backing-chain`): what its own
 * header says. Pure, zod at the boundary; tested on captured output (tests/fixtures/qemu-img/).
 *
 * @module
 */
import { z } from "zod";

/** What one image's header says. */
export interface ImageHeader {
  /** The path qemu-img opened. */
  filename: string;
  /** The format it was read as (the `-f` given). */
  format: string;
  virtualSize: number;
  /**
   * The backing file as recorded in the header (`backing-filename`, relative names unresolved)
   * and its recorded format (`backing-filename-format`, null when the header has none); null
   * when the image has no backing file.
   */
  backing: { name: string; format: string | null } | null;
  /** qcow2 external data file (`format-specific.data.data-file`), or null. */
  dataFile: string | null;
}

const infoSchema = z.object({
  filename: z.string(),
  format: z.string(),
  "virtual-size": z.number().int().nonnegative(),
  "backing-filename": z.string().optional(),
  "backing-filename-format": z.string().optional(),
  "format-specific": z.object({
    type: z.string(),
    data: z.object({ "data-file": z.string().optional() }).loose().optional(),
  }).loose().optional(),
}).loose();

/** Thrown when the output is not one image's `qemu-img info` JSON. */
export class ImageInfoParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageInfoParseError";
  }
}

/** Parses `qemu-img info --output=json` of one image. Pure; throws {@link ImageInfoParseError}. */
export function parseImageInfo(stdout: string): ImageHeader {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    throw new ImageInfoParseError("qemu-img info did not print JSON");
  }
  const r = infoSchema.safeParse(data);
  if (!r.success) {
    throw new ImageInfoParseError(
      `unexpected qemu-img info output: ${r.error.issues[0]?.path.join(".")} ${
        r.error.issues[0]?.message
      }`,
    );
  }
  const info = r.data;
  const name = info["backing-filename"];
  return {
    filename: info.filename,
    format: info.format,
    virtualSize: info["virtual-size"],
    backing: name === undefined ? null : { name, format: info["backing-filename-format"] ?? null },
    dataFile: info["format-specific"]?.data?.["data-file"] ?? null,
  };
}
