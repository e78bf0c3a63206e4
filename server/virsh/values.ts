/**
 * The values blockboard hands to virsh, defined once: zod schemas checked at the HTTP boundary,
 * by the job planner and by the argv builders alike, so the layers cannot disagree about what is
 * safe to pass.
 *
 * @module
 */
import { z } from "zod";

const encoder = new TextEncoder();

/** C0 controls and DEL: what libvirt itself refuses in a name. */
function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

/**
 * Unicode characters that make text read differently from what it is: line/paragraph separators
 * and the bidirectional marks, embeddings, overrides and isolates (`U+202E` shows
 * `/img/\u202Eamcq.evil` as `/img/live.qcow2`).
 */
const INVISIBLE_FORMATTING = new Set([
  0x061c,
  0x200e,
  0x200f,
  0x2028,
  0x2029,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
]);

/**
 * The one character rule for text that reaches virsh and is echoed to a person (paths, terminal
 * lines): C0 and C1 controls, DEL, and the invisible formatting characters above are refused.
 * virsh reads a newline as a new command; the others make the echoed command or the audit log
 * lie. Callers that use tab as a separator (the terminal) allow it themselves. Pure.
 */
export function isRefusedCharacter(codePoint: number): boolean {
  return codePoint < 0x20 || codePoint === 0x7f || (codePoint >= 0x80 && codePoint <= 0x9f) ||
    INVISIBLE_FORMATTING.has(codePoint);
}

/** `U+202E`: how a refused character is named in messages. Pure. */
export function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The first refused character of `s` (see {@link isRefusedCharacter}) and its position, or null. */
export function firstRefusedCharacter(s: string): { codePoint: number; index: number } | null {
  let index = 0;
  for (const ch of s) {
    const codePoint = ch.codePointAt(0)!;
    if (isRefusedCharacter(codePoint)) return { codePoint, index };
    index++;
  }
  return null;
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

/** zod's type error for a value that must be a string: "is required" when absent. */
function requiredString(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? "is required" : `must be a string: ${what}`;
}

/**
 * A file path on the host: absolute, normalised (no `.`/`..` segments, `//` or trailing `/`), no
 * control, C1 or bidirectional-formatting characters ({@link isRefusedCharacter}: virsh would
 * read a newline as a new command, an override makes the path read as another), at most 4096
 * characters.
 */
export const hostPathSchema = z.string({ error: requiredString("an absolute path") })
  .min(1, "is empty: give an absolute path")
  .max(4096, "is too long: at most 4096 characters")
  .refine((s) => s.startsWith("/"), "must be an absolute path (starting with /)")
  .superRefine((s, ctx) => {
    const bad = firstRefusedCharacter(s);
    if (bad) {
      ctx.addIssue({
        code: "custom",
        message: `must not contain control or invisible formatting characters (${
          codePointName(bad.codePoint)
        } at character ${bad.index + 1})`,
      });
    }
  })
  .refine(
    (s) => !/\/\.\.?(\/|$)|\/\//.test(s) && !(s.length > 1 && s.endsWith("/")),
    "must be a normalised path (no '.', '..', '//' or trailing '/')",
  );

/**
 * The image formats blockboard writes and lets a command state, always explicitly: `auto` or
 * `none` would make libvirt probe a header a guest may have written.
 */
export const COPY_FORMATS = ["qcow2", "raw"] as const;

/** One of {@link COPY_FORMATS}. */
export type CopyFormat = typeof COPY_FORMATS[number];

/** True for a {@link CopyFormat}. Pure. */
export function isCopyFormat(value: unknown): value is CopyFormat {
  return (COPY_FORMATS as readonly unknown[]).includes(value);
}

/** The largest bandwidth accepted, in bytes per second (about 8 PiB/s: no real limit). */
export const MAX_BANDWIDTH_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * Bandwidth limit in bytes per second; 0 means unlimited. Each failure says what is wrong:
 * absent, not a number, negative, too large or fractional, in that order.
 */
export const bandwidthBytesSchema = z.number({
  error: (issue) =>
    issue.input === undefined
      ? "is required (bytes per second, 0 for unlimited)"
      : typeof issue.input === "number"
      ? `is too large: at most ${MAX_BANDWIDTH_BYTES} bytes per second`
      : `must be a number of bytes per second, not ${describe(issue.input)}`,
})
  .min(0, "must not be negative (0 means unlimited)")
  .max(MAX_BANDWIDTH_BYTES, `is too large: at most ${MAX_BANDWIDTH_BYTES} bytes per second`)
  .refine(Number.isInteger, "must be a whole number of bytes per second");

/**
 * Bandwidth limit in bytes per second, as {@link bandwidthBytesSchema} accepts it (0 means
 * unlimited). Checked once where it enters (API body, form, terminal line) and passed on typed.
 */
export type BandwidthBytes = z.output<typeof bandwidthBytesSchema>;

/** A JSON value's kind in words, for messages (`a string`, `null`). Pure. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "true/false";
  if (typeof value === "object") return "an object";
  return typeof value;
}

/** The first problem zod found, as a sentence fragment (`must be …`). */
export function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "is invalid";
}

/** Smallest `blockcopy --granularity` QEMU accepts, in bytes. */
export const MIN_GRANULARITY_BYTES = 512;
/** Largest `blockcopy --granularity` QEMU accepts, in bytes (64 MiB). */
export const MAX_GRANULARITY_BYTES = 64 * 1024 * 1024;

/**
 * `blockcopy --granularity`: the dirty-bitmap chunk of a mirror, in bytes. libvirt refuses a
 * value that is not a power of two ("granularity must be power of 2"); QEMU one outside
 * [512 B, 64 MiB]. Checked here first so the refusal names the rule.
 */
export const granularityBytesSchema = z.number({
  error: (issue) =>
    issue.input === undefined
      ? "is required (bytes, a power of two from 512 to 67108864)"
      : `must be a number of bytes, not ${describe(issue.input)}`,
})
  .refine(Number.isInteger, "must be a whole number of bytes")
  .refine(
    (n) => n >= MIN_GRANULARITY_BYTES && n <= MAX_GRANULARITY_BYTES,
    "must be between 512 B and 64 MiB (67108864 bytes)",
  )
  .refine((n) => (n & (n - 1)) === 0, "must be a power of two (512, 1024, …, 67108864 bytes)");

/** Smallest `blockcopy --buf-size` blockboard passes, in bytes (QEMU rounds less up anyway). */
export const MIN_BUF_SIZE_BYTES = 512;
/**
 * Largest `blockcopy --buf-size` blockboard passes (1 GiB). QEMU takes up to 2^63-1 but keeps
 * that much copy data in flight in host memory, so a typo must not be able to ask for more.
 */
export const MAX_BUF_SIZE_BYTES = 1024 * 1024 * 1024;

/** `blockcopy --buf-size`: the most data the mirror keeps in flight, in bytes. */
export const bufSizeBytesSchema = z.number({
  error: (issue) =>
    issue.input === undefined
      ? "is required (bytes, 512 to 1073741824)"
      : `must be a number of bytes, not ${describe(issue.input)}`,
})
  .refine(Number.isInteger, "must be a whole number of bytes")
  .refine(
    (n) => n >= MIN_BUF_SIZE_BYTES,
    "must be at least 512 bytes (QEMU rounds a smaller buffer up to the granularity)",
  )
  .refine(
    (n) => n <= MAX_BUF_SIZE_BYTES,
    "must be at most 1 GiB (1073741824 bytes): QEMU keeps this much data in flight in host memory",
  );

/**
 * A storage pool name: 1-255 bytes, no `/`, no control characters, not starting with `-` (it is
 * always passed through `--pool`, but a name that reads as an option is refused so no human
 * copying the echoed command can be misled).
 */
export const poolNameSchema = z.string({ error: requiredString("a storage pool name") })
  .min(1, "a pool name must not be empty")
  .refine((s) => encoder.encode(s).length <= 255, "a pool name is at most 255 bytes")
  .refine((s) => !s.includes("/"), "a pool name cannot contain '/'")
  .refine((s) => !s.startsWith("-"), "a pool name cannot start with '-'")
  .refine(
    (s) => firstRefusedCharacter(s) === null,
    "a pool name cannot contain control characters",
  );

/**
 * A volume name in a directory pool: a file name (1-255 bytes, no `/`, not `.` or `..`, not
 * starting with `-` or `.`), letters, digits and `._+-` only, so the file it becomes is what the
 * operator reads.
 */
export const volumeNameSchema = z.string({ error: requiredString("a volume name") })
  .min(1, "a volume name must not be empty")
  .max(255, "a volume name is at most 255 characters")
  .regex(
    /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/,
    "a volume name is a file name of letters, digits and . _ + - (not starting with . or -)",
  );

/**
 * A libvirt connection URI (`qemu+tcp://10.77.1.2/system`, `qemu:///system`): a scheme, `://`,
 * and no blanks or control characters.
 */
export const libvirtUriSchema = z.string({ error: requiredString("a libvirt URI") })
  .max(1024, "a libvirt URI is at most 1024 characters")
  .regex(
    /^[a-z][a-z0-9+.-]*:\/\/[^\s]*$/,
    "a libvirt URI looks like qemu+tcp://HOST/system",
  )
  .refine(
    (s) => firstRefusedCharacter(s) === null,
    "a libvirt URI cannot contain control characters",
  );

/** A QEMU migration stream URI: `tcp://ADDRESS` or `tcp://ADDRESS:PORT` (IPv6 in brackets). */
export const migrateUriSchema = z.string({ error: requiredString("a migration URI") })
  .regex(
    /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/,
    "a migration URI looks like tcp://10.77.1.2 or tcp://host:49152",
  );
