/**
 * A dir storage pool on a lab host, defined, built and started the way an operator would (live
 * migration with storage needs one over the disks' directory on the target).
 *
 * @module
 */
import type { LabHost } from "./hosts.ts";

/** A dir pool on `host` over `dir`, built and started; throws with virsh's words on failure. */
export async function definePool(host: LabHost, name: string, dir: string): Promise<void> {
  for (
    const args of [
      ["pool-define-as", "--name", name, "--type", "dir", "--target", dir],
      ["pool-build", "--pool", name],
      ["pool-start", "--pool", name],
    ]
  ) {
    const r = await host.virsh(...args);
    if (r.code !== 0) throw new Error(`virsh ${args.join(" ")}: ${r.stderr}`);
  }
}
