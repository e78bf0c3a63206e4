/**
 * The default destination the copy form offers: named after the domain, the disk and the
 * minute, next to the active layer (or in the first storage root), and never a file that exists
 * — so two VMs, or two copies of one disk, are never offered the same path.
 *
 * @module
 */
import type { Disk, Domain } from "../inventory/model.ts";
import { jobsPossibleIn } from "../jobs/can_start.ts";

/** A file-name-safe form of `text`: letters, digits, `.`, `_`, `-`; never leading `-` or `.`. Pure. */
export function fileNamePart(text: string, fallback: string, maxLength = 64): string {
  const safe = text.normalize("NFKD")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^[-._]+/, "")
    .slice(0, maxLength)
    .replace(/[-._]+$/, "");
  return safe === "" ? fallback : safe;
}

/** `yyyymmdd-hhmm` in the server's local time. Pure given the date. */
export function minuteStamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${
    p(date.getMinutes())
  }`;
}

/** The directory a suggested copy goes to: the active layer's, when it is in a root. Pure. */
export function copyDirectory(activePath: string, roots: readonly string[]): string {
  const dir = activePath.slice(0, activePath.lastIndexOf("/")) || "/";
  const inRoot = roots.some((r) => dir === r || dir.startsWith(r.endsWith("/") ? r : `${r}/`));
  return roots.length === 0 || inRoot ? dir : roots[0];
}

/**
 * `<dir>/<domain>-<disk>-copy-<yyyymmdd-hhmm>.<fmt>`, without the existence probe. `suffix` (2,
 * 3, …) is put before the extension. Pure.
 */
export function copyDestName(
  domain: Pick<Domain, "name">,
  disk: Pick<Disk, "target" | "format" | "chain">,
  roots: readonly string[],
  now: Date,
  suffix = 1,
): string {
  const ext = disk.format === "raw" ? "raw" : "qcow2";
  const dir = copyDirectory(disk.chain[0]?.path ?? roots[0] ?? "/", roots);
  const stem = `${fileNamePart(domain.name, "vm")}-${fileNamePart(disk.target, "disk")}-copy-${
    minuteStamp(now)
  }`;
  return `${dir === "/" ? "" : dir}/${stem}${suffix > 1 ? `-${suffix}` : ""}.${ext}`;
}

/** True when something (a file, a directory, a link, even a dangling one) is at `path`. */
export async function pathTaken(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    // Anything but "not there" (a permission error) counts as taken: offer another name.
    return !(e instanceof Deno.errors.NotFound);
  }
}

/** Options of {@link suggestCopyDest}. */
export interface SuggestOptions {
  now?: Date;
  /** The probe (tests); default {@link pathTaken}. */
  taken?: (path: string) => Promise<boolean>;
}

/** {@link copyDestName} with the first suffix nothing occupies (`-2`, `-3`, … up to 99). */
export async function suggestCopyDest(
  domain: Pick<Domain, "name">,
  disk: Pick<Disk, "target" | "format" | "chain">,
  roots: readonly string[],
  options: SuggestOptions = {},
): Promise<string> {
  const now = options.now ?? new Date();
  const taken = options.taken ?? pathTaken;
  for (let suffix = 1; suffix < 100; suffix++) {
    const path = copyDestName(domain, disk, roots, now, suffix);
    if (!(await taken(path))) return path;
  }
  // 99 copies in one minute: offer the name anyway; the destination rule refuses it on Start.
  return copyDestName(domain, disk, roots, now, 100);
}

/** Lookup of a disk's suggested destination, for the views. */
export type CopyDestLookup = (domain: Domain, disk: Disk) => string | undefined;

/** Suggestions for every disk of a running domain (those with a copy form), probed in parallel. */
export async function copyDestLookup(
  domains: readonly Domain[],
  roots: readonly string[],
  options: SuggestOptions = {},
): Promise<CopyDestLookup> {
  const now = options.now ?? new Date();
  const found = new Map<string, string>();
  await Promise.all(
    domains.flatMap((domain) =>
      !jobsPossibleIn(domain.state)
        ? []
        : domain.disks.filter((d) => d.chain.length > 0).map(async (disk) => {
          found.set(
            `${domain.uuid}/${disk.target}`,
            await suggestCopyDest(domain, disk, roots, { ...options, now }),
          );
        })
    ),
  );
  return (domain, disk) => found.get(`${domain.uuid}/${disk.target}`);
}
