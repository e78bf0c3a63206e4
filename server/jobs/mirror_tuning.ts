/**
 * The mirror tuning options of a copy (`blockcopy --synchronous-writes`, `--granularity`,
 * `--buf-size`): one zod fragment every request that starts a mirror spreads into its body (the
 * copy API here, the move request later), the form's fields, and how the options read on a job.
 *
 * @module
 */
import { z } from "zod";
import { bufSizeBytesSchema, granularityBytesSchema } from "../virsh/values.ts";

/** What a mirror is tuned with; every field optional (absent: libvirt's and QEMU's defaults). */
export interface MirrorTuning {
  /**
   * Write-blocking mirror: every guest write goes to the source and the copy before the guest
   * sees it complete, so a copy of a disk written faster than the bandwidth still converges.
   */
  synchronousWrites?: boolean;
  /** Dirty-bitmap chunk in bytes: a power of two from 512 B to 64 MiB. */
  granularity?: number;
  /** The most data in flight, in bytes: 512 B to 1 GiB. */
  bufSize?: number;
}

/**
 * The zod fields of {@link MirrorTuning}, to spread into a strict request object
 * (`z.strictObject({ dest, ...mirrorTuningFields })`).
 */
export const mirrorTuningFields = {
  synchronousWrites: z.boolean({ error: "must be true or false" }).optional().describe(
    "blockcopy --synchronous-writes: a write-blocking mirror that converges however fast the guest writes",
  ),
  granularity: granularityBytesSchema.optional().describe(
    "blockcopy --granularity: bytes, a power of two from 512 to 67108864",
  ),
  bufSize: bufSizeBytesSchema.optional().describe(
    "blockcopy --buf-size: bytes in flight, 512 to 1073741824",
  ),
};

/** {@link MirrorTuning} alone, as a strict object (unknown keys refused). */
export const mirrorTuningSchema = z.strictObject(mirrorTuningFields) satisfies z.ZodType<
  MirrorTuning
>;

/** The granularities a form offers: every power of two from 512 B to 64 MiB. */
export const GRANULARITY_CHOICES: readonly number[] = Array.from(
  { length: 18 },
  (_, i) => 512 * 2 ** i,
);

/** Only the options that are set (false and absent dropped), for storing on a job. Pure. */
export function setTuning(t: MirrorTuning): MirrorTuning {
  return {
    ...(t.synchronousWrites ? { synchronousWrites: true } : {}),
    ...(t.granularity !== undefined ? { granularity: t.granularity } : {}),
    ...(t.bufSize !== undefined ? { bufSize: t.bufSize } : {}),
  };
}
