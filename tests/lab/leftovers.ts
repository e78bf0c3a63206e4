/**
 * Removing what earlier test runs left behind: lab domains and directories whose creating process
 * is gone. Domains of a test run still going on (in parallel, by someone else) are kept, and so
 * is everything the lab did not make.
 *
 * @module
 */
import { LAB_METADATA_URI, type LabOwner, parseLabOwner } from "./domain_xml.ts";
import { labVirsh } from "./exec.ts";
import { ownerAlive } from "./owner.ts";
import { LAB_ROOT, removeDomainByUuid, removeLabDir } from "./teardown.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A directory without an owner record younger than this may still be being built. */
const ORPHAN_GRACE_MS = 10 * 60_000;

/** The lab ownership record of the domain with `uuid`, if it has one. */
export async function domainOwner(uuid: string): Promise<LabOwner | undefined> {
  const r = await labVirsh("metadata", "--domain", uuid, "--uri", LAB_METADATA_URI);
  return r.code === 0 ? parseLabOwner(r.stdout) : undefined;
}

/** Every domain's UUID, running or not. */
export async function allDomainUuids(): Promise<string[]> {
  const r = await labVirsh("list", "--all", "--uuid");
  if (r.code !== 0) throw new Error(`virsh list --all --uuid failed: ${r.stderr.trim()}`);
  return r.stdout.split("\n").map((l) => l.trim()).filter((l) => UUID.test(l));
}

/** Removes dead test runs' domains and directories. Returns how many of each it removed. */
export async function removeLeftovers(
  log: (line: string) => void,
): Promise<{ domains: number; dirs: number }> {
  let domains = 0;
  let dirs = 0;
  for (const uuid of await allDomainUuids()) {
    const owner = await domainOwner(uuid);
    if (!owner || owner.role !== "test" || ownerAlive(owner)) continue;
    const name = (await labVirsh("domname", "--domain", uuid)).stdout.trim();
    log(`leftovers: removing domain ${JSON.stringify(name)} (${uuid}) of dead pid ${owner.pid}`);
    await removeDomainByUuid(uuid);
    domains++;
    if (owner.dir.startsWith(LAB_ROOT + "/")) {
      await removeLabDir(owner.dir);
    }
  }
  let entries: Deno.DirEntry[] = [];
  try {
    entries = Array.from(Deno.readDirSync(LAB_ROOT));
  } catch { /* no lab root yet */ }
  for (const entry of entries) {
    if (!entry.isDirectory || !UUID.test(entry.name)) continue;
    const dir = `${LAB_ROOT}/${entry.name}`;
    if (!await dirIsLeftover(dir)) continue;
    log(`leftovers: removing ${dir}`);
    await removeDomainByUuid(entry.name); // a domain of that uuid, if one outlived its owner
    await removeLabDir(dir);
    dirs++;
  }
  log(`leftovers: removed ${domains} domain(s) and ${dirs} more director(ies)`);
  return { domains, dirs };
}

async function dirIsLeftover(dir: string): Promise<boolean> {
  try {
    const owner = JSON.parse(await Deno.readTextFile(`${dir}/owner.json`)) as LabOwner;
    return owner.role === "test" && !ownerAlive(owner);
  } catch {
    const mtime = (await Deno.stat(dir)).mtime?.getTime() ?? 0;
    return Date.now() - mtime > ORPHAN_GRACE_MS;
  }
}
