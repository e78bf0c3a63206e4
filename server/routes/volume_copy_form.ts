/**
 * The volume copy form's fields (a host blockboard cannot stat files on): pool, new volume name,
 * format, shallow, bandwidth in MiB/s. Strict, like the other start forms.
 *
 * @module
 */
import { z } from "zod";
import type { VolumeCopyInput } from "../volumes/remote_copy.ts";
import { poolNameSchema, volumeNameSchema } from "../virsh/values.ts";
import { bandwidthMiBField } from "./job_inputs.ts";

/** The form; parsed into a {@link VolumeCopyInput}. */
export const volumeCopyForm = z.strictObject({
  pool: poolNameSchema,
  volume: z.string().trim().pipe(volumeNameSchema),
  format: z.enum(["qcow2", "raw"], { error: 'must be "qcow2" or "raw"' }),
  shallow: z.enum(["true", "on"], { error: 'must be "true" or "on" when ticked' }).optional(),
  bandwidthMiB: bandwidthMiBField.optional(),
}).transform((f): VolumeCopyInput => ({
  pool: f.pool,
  volume: f.volume,
  format: f.format,
  shallow: f.shallow !== undefined,
  ...(f.bandwidthMiB !== undefined ? { bandwidthBytes: f.bandwidthMiB } : {}),
}));
