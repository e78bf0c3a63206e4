/**
 * zod schemas for job requests: the JSON API's bodies and the browser's form fields. Every
 * object is strict: a key the request does not take is refused with its name (a mistyped
 * `bandwithBytes` would otherwise start an unthrottled job).
 *
 * @module
 */
import { z } from "zod";
import type { CommitInput, CopyInput, PullInput } from "../jobs/plan.ts";
import {
  bandwidthBytesSchema,
  bufSizeBytesSchema,
  describe,
  granularityBytesSchema,
  hostPathSchema,
  MAX_BANDWIDTH_BYTES,
  MAX_BUF_SIZE_BYTES,
} from "../virsh/values.ts";
import { mirrorTuningFields } from "../jobs/mirror_tuning.ts";

const quoteList = (keys: readonly PropertyKey[]) =>
  keys.map((k) => JSON.stringify(String(k))).join(", ");

/**
 * A strict object whose errors name what is wrong: the unknown keys and the keys it takes, or
 * that the body is not an object at all.
 */
function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") {
        const keys = (issue as { keys?: string[] }).keys ?? [];
        return `unknown field${keys.length === 1 ? "" : "s"} ${quoteList(keys)}: ${
          known.length ? `this request takes ${known.join(", ")}` : "this request takes none"
        }`;
      }
      if (issue.code === "invalid_type") {
        return `must be a JSON object, not ${describe(issue.input)}`;
      }
      return undefined;
    },
  });
}

const format = z.enum(["qcow2", "raw"], {
  error: (issue) => issue.input === undefined ? "is required" : 'must be "qcow2" or "raw"',
});
const flag = z.boolean({ error: "must be true or false" });

/** `POST .../pull` body. */
export const pullBody = strict({
  base: hostPathSchema.optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
  keepRelative: flag.optional().describe(
    "--keep-relative: needs base; backing names stay relative",
  ),
}) satisfies z.ZodType<PullInput>;

/** `POST .../copy` body. */
export const copyBody = strict({
  dest: hostPathSchema,
  format: format.optional(),
  shallow: flag.optional(),
  reuseExternal: flag.optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
  ...mirrorTuningFields,
}) satisfies z.ZodType<CopyInput>;

/** `POST .../commit` body. */
export const commitBody = strict({
  top: hostPathSchema.optional(),
  base: hostPathSchema.optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
  keepRelative: flag.optional().describe("--keep-relative: backing names stay relative"),
  delete: flag.optional().describe(
    "--delete: delete the committed layers once it succeeded; 409 while another domain uses one",
  ),
}) satisfies z.ZodType<CommitInput>;

/** `POST .../job/bandwidth` body. */
export const bandwidthBody = strict({ bandwidthBytes: bandwidthBytesSchema });

/** `POST .../job/abort` body (optional). */
export const abortBody = strict({
  mode: z.enum(["abort", "keep-copy"], { error: 'must be "abort" or "keep-copy"' }).optional(),
});

/** `POST .../job/pivot` body (optional, takes nothing). */
export const pivotBody = strict({});

const MiB = 1048576;
/** The largest form bandwidth, in whole MiB/s. */
const MAX_BANDWIDTH_MIB = Math.floor(MAX_BANDWIDTH_BYTES / MiB);

/** A form's `bandwidthMiB` (decimal MiB/s; empty = none) as bytes/s, or a reason. */
export const bandwidthMiBField = z.string().trim().max(32, "is too long for a number of MiB/s")
  .refine(
    (s) => s === "" || /^\d+(\.\d+)?$/.test(s),
    "bandwidth must be a number of MiB/s, 0 or more",
  )
  .refine(
    (s) => s === "" || Number(s) <= MAX_BANDWIDTH_MIB,
    `bandwidth is too large: at most ${MAX_BANDWIDTH_MIB} MiB/s`,
  )
  .transform((s) => (s === "" ? undefined : Math.round(Number(s) * MiB)))
  .pipe(bandwidthBytesSchema.optional());

/** A form's checkbox: ticked (`true`/`on`) or absent, as a boolean. */
export const checkbox = z.enum(["true", "on"], { error: 'must be "true" or "on" when ticked' })
  .optional().transform((v) => v !== undefined);
const optionalPath = z.string().transform((s) => s.trim() === "" ? undefined : s.trim())
  .pipe(hostPathSchema.optional());
/**
 * The number of the form's state the browser previews (static/app.js): echoed by the preview so
 * the page can drop answers about an older state of the form; ignored on Start.
 */
export const previewSeqField = z.string().regex(/^\d{1,15}$/, "must be a whole number")
  .optional();

const KiB = 1024;

/** A form's `granularity` select (bytes; empty = libvirt's default). */
export const granularityField = z.string().trim()
  .refine((s) => s === "" || /^\d{1,12}$/.test(s), "granularity must be a whole number of bytes")
  .transform((s) => (s === "" ? undefined : Number(s)))
  .pipe(granularityBytesSchema.optional());

/** A form's `bufSizeKiB` (whole KiB; empty = QEMU's default) as bytes. */
export const bufSizeKiBField = z.string().trim()
  .refine(
    (s) => s === "" || /^[1-9]\d{0,8}$/.test(s),
    `buffer size must be a whole number of KiB, from 1 to ${MAX_BUF_SIZE_BYTES / KiB}`,
  )
  .transform((s) => (s === "" ? undefined : Number(s) * KiB))
  .pipe(bufSizeBytesSchema.optional());

/** The copy form. */
export const copyForm = strict({
  dest: z.string({ error: (i) => i.input === undefined ? "is required" : "must be text" })
    .trim().pipe(hostPathSchema),
  format,
  shallow: checkbox,
  reuseExternal: checkbox,
  bandwidthMiB: bandwidthMiBField.optional(),
  synchronousWrites: checkbox,
  granularity: granularityField.optional(),
  bufSizeKiB: bufSizeKiBField.optional(),
  previewSeq: previewSeqField,
}).transform((f): CopyInput => ({
  dest: f.dest,
  format: f.format,
  shallow: f.shallow,
  reuseExternal: f.reuseExternal,
  bandwidthBytes: f.bandwidthMiB,
  synchronousWrites: f.synchronousWrites,
  granularity: f.granularity,
  bufSize: f.bufSizeKiB,
}));

/** The pull form. */
export const pullForm = strict({
  base: optionalPath.optional(),
  bandwidthMiB: bandwidthMiBField.optional(),
  keepRelative: checkbox,
  previewSeq: previewSeqField,
}).transform((f): PullInput => ({
  base: f.base,
  bandwidthBytes: f.bandwidthMiB,
  keepRelative: f.keepRelative,
}));

/** The commit form. */
export const commitForm = strict({
  top: optionalPath.optional(),
  base: optionalPath.optional(),
  bandwidthMiB: bandwidthMiBField.optional(),
  keepRelative: checkbox,
  delete: checkbox,
  previewSeq: previewSeqField,
}).transform((f): CommitInput => ({
  top: f.top,
  base: f.base,
  bandwidthBytes: f.bandwidthMiB,
  keepRelative: f.keepRelative,
  delete: f.delete,
}));

/** The bandwidth form of a running job. */
export const bandwidthForm = strict({ bandwidthMiB: bandwidthMiBField })
  .transform((f) => f.bandwidthMiB ?? 0);
