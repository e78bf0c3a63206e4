/**
 * The values blockboard hands to virsh, defined once: zod schemas checked at the HTTP boundary,
 * by the job planner and by the argv builders alike, so the layers cannot disagree about what is
 * safe to pass.
 *
 * @module
 */
import { z } from "zod";

const encoder = new TextEncoder();

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

/**
 * A domain name libvirt could hold: 1-255 bytes, no `/`, no control characters (libvirt refuses
 * them with "invalid char in name"). Names that look like options (`--pivot`) or ids (`12`) are
 * valid names: callers resolve them to a UUID and never pass them positionally.
 */
export const domainNameSchema = z.string()
  .min(1, "a domain name must not be empty")
  .refine((s) => encoder.encode(s).length <= 255, "a domain name is at most 255 bytes")
  .refine((s) => !s.includes("/"), "a domain name cannot contain '/'")
  .refine((s) => ![...s].some(isControl), "a domain name cannot contain control characters");

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A libvirt UUID in its canonical (lower-case) form. */
export const uuidSchema = z.string().regex(UUID_PATTERN, "not a domain UUID");

/** True for a canonical libvirt UUID. Pure. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** A disk target such as `vda`, `sdb` or `hdc`. */
export const diskTargetSchema = z.string().regex(
  /^[a-z][a-z0-9]{1,15}$/,
  "a disk target is a device name such as vda or sdb",
);

/**
 * A file path on the host: absolute, normalised (no `.`/`..` segments, `//` or trailing `/`), no
 * control characters (virsh would read a newline as a new command), at most 4096 characters.
 */
export const hostPathSchema = z.string({ error: "must be an absolute path" })
  .min(1, "must be an absolute path")
  .max(4096, "is too long")
  .refine((s) => s.startsWith("/"), "must be an absolute path (starting with /)")
  .refine((s) => ![...s].some(isControl), "must not contain control characters")
  .refine(
    (s) => !/\/\.\.?(\/|$)|\/\//.test(s) && !(s.length > 1 && s.endsWith("/")),
    "must be a normalised path (no '.', '..', '//' or trailing '/')",
  );

/** Bandwidth limit in bytes per second; 0 means unlimited. */
export const bandwidthBytesSchema = z.number({
  error: "must be a whole number of bytes per second",
})
  .int("must be a whole number of bytes per second")
  .min(0, "must not be negative (0 means unlimited)")
  .max(Number.MAX_SAFE_INTEGER, "is too large");

/** The first problem zod found, as a sentence fragment (`must be …`). */
export function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "is invalid";
}
