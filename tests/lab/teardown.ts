/**
 * Removing lab domains and their files, by UUID only (a hostile name never reaches virsh).
 *
 * @module
 */
import { labVirsh } from "./exec.ts";
import { waitFor } from "./wait.ts";

/** Where every lab domain keeps its files. */
export const LAB_ROOT = "/var/lib/libvirt/images/blockboard-lab";

const NOT_FOUND = /Domain not found|failed to get domain/;

/**
 * Destroys (if running) and undefines (if persistent) the domain with `uuid`, and waits until
 * libvirt no longer knows it. A domain that is already gone is fine; anything else that keeps it
 * alive for 30 s throws.
 */
export async function removeDomainByUuid(uuid: string): Promise<void> {
  let lastError = "";
  await waitFor(`domain ${uuid} to be destroyed and undefined`, async () => {
    lastError = "";
    const state = await labVirsh("domstate", "--domain", uuid);
    if (state.code !== 0) {
      if (NOT_FOUND.test(state.stderr)) return true;
      lastError = state.stderr.trim();
      return false;
    }
    if (state.stdout.trim() !== "shut off") {
      const r = await labVirsh("destroy", "--domain", uuid);
      if (r.code !== 0 && !NOT_FOUND.test(r.stderr)) lastError = r.stderr.trim();
    }
    const info = await labVirsh("dominfo", "--domain", uuid);
    if (/^Persistent:\s+yes/m.test(info.stdout)) {
      const r = await labVirsh(
        "undefine",
        "--domain",
        uuid,
        "--snapshots-metadata",
        "--checkpoints-metadata",
      );
      if (r.code !== 0 && !NOT_FOUND.test(r.stderr)) lastError = r.stderr.trim();
    }
    const after = await labVirsh("domstate", "--domain", uuid);
    if (after.code !== 0 && NOT_FOUND.test(after.stderr)) return true;
    if (lastError) throw new Error(lastError);
    return false;
  }, { timeoutMs: 30_000, intervalMs: 250 });
}

/** True when `dir` is a directory strictly inside {@link LAB_ROOT} (no `..`, no symlink games). */
export function isInsideLabRoot(dir: string): boolean {
  if (!dir.startsWith(LAB_ROOT + "/") || dir.split("/").includes("..")) return false;
  try {
    const real = Deno.realPathSync(dir);
    return real.startsWith(LAB_ROOT + "/") && real !== LAB_ROOT;
  } catch {
    return true; // already gone: removing it is a no-op
  }
}

/** Removes a lab directory and everything in it; refuses paths outside {@link LAB_ROOT}. */
export async function removeLabDir(dir: string): Promise<void> {
  if (!isInsideLabRoot(dir)) throw new Error(`refusing to remove ${dir}: not inside ${LAB_ROOT}`);
  try {
    await Deno.remove(dir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
