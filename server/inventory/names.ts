/**
 * zod schemas for identifiers that arrive from the network: checked before any virsh call.
 *
 * @module
 */
import { z } from "zod";

const encoder = new TextEncoder();

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

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

/** A disk target such as `vda`, `sdb` or `hdc`. */
export const diskTargetSchema = z.string().regex(
  /^[a-z][a-z0-9]{1,15}$/,
  "a disk target is a device name such as vda or sdb",
);

/** A libvirt UUID in its canonical form. */
export const uuidSchema = z.string().regex(
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  "not a UUID",
);
