/**
 * zod schemas for job requests: the JSON API's bodies and the browser's form fields.
 *
 * @module
 */
import { z } from "zod";
import type { CommitInput, CopyInput, PullInput } from "../jobs/preview.ts";
import { bandwidthBytesSchema, hostPathSchema } from "../virsh/values.ts";

/** `POST .../pull` body. */
export const pullBody = z.strictObject({
  base: hostPathSchema.optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
}) satisfies z.ZodType<PullInput>;

/** `POST .../copy` body. */
export const copyBody = z.strictObject({
  dest: hostPathSchema,
  format: z.enum(["qcow2", "raw"], { error: 'must be "qcow2" or "raw"' }).optional(),
  shallow: z.boolean({ error: "must be true or false" }).optional(),
  reuseExternal: z.boolean({ error: "must be true or false" }).optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
}) satisfies z.ZodType<CopyInput>;

/** `POST .../commit` body. */
export const commitBody = z.strictObject({
  top: hostPathSchema.optional(),
  base: hostPathSchema.optional(),
  bandwidthBytes: bandwidthBytesSchema.optional(),
}) satisfies z.ZodType<CommitInput>;

/** `POST .../job/bandwidth` body. */
export const bandwidthBody = z.strictObject({ bandwidthBytes: bandwidthBytesSchema });

/** `POST .../job/abort` body (optional). */
export const abortBody = z.strictObject({
  mode: z.enum(["abort", "keep-copy"], { error: 'must be "abort" or "keep-copy"' }).optional(),
});

/** A form's `bandwidthMiB` (decimal MiB/s; empty = none) as bytes/s, or a reason. */
export const bandwidthMiBField = z.string().trim().max(32)
  .refine(
    (s) => s === "" || /^\d+(\.\d+)?$/.test(s),
    "bandwidth must be a number of MiB/s, 0 or more",
  )
  .transform((s) => (s === "" ? undefined : Math.round(Number(s) * 1048576)))
  .pipe(bandwidthBytesSchema.optional());

const checkbox = z.enum(["true", "on"]).optional().transform((v) => v !== undefined);
const optionalPath = z.string().transform((s) => s.trim() === "" ? undefined : s.trim())
  .pipe(hostPathSchema.optional());

/** The copy form. */
export const copyForm = z.object({
  dest: z.string().trim().pipe(hostPathSchema),
  format: z.enum(["qcow2", "raw"], { error: 'format must be "qcow2" or "raw"' }),
  shallow: checkbox,
  reuseExternal: checkbox,
  bandwidthMiB: bandwidthMiBField.optional(),
}).transform((f): CopyInput => ({
  dest: f.dest,
  format: f.format,
  shallow: f.shallow,
  reuseExternal: f.reuseExternal,
  bandwidthBytes: f.bandwidthMiB,
}));

/** The pull form. */
export const pullForm = z.object({
  base: optionalPath.optional(),
  bandwidthMiB: bandwidthMiBField.optional(),
}).transform((f): PullInput => ({ base: f.base, bandwidthBytes: f.bandwidthMiB }));

/** The commit form. */
export const commitForm = z.object({
  top: optionalPath.optional(),
  base: optionalPath.optional(),
  bandwidthMiB: bandwidthMiBField.optional(),
}).transform((f): CommitInput => ({ top: f.top, base: f.base, bandwidthBytes: f.bandwidthMiB }));

/** The bandwidth form of a running job. */
export const bandwidthForm = z.object({ bandwidthMiB: bandwidthMiBField })
  .transform((f) => f.bandwidthMiB ?? 0);
