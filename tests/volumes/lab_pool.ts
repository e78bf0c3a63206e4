/** A running dir storage pool on a namespaced lab host, as an operator makes one. */
import { assertEquals } from "@std/assert";
import type { LabHost } from "../lab/hosts.ts";

/** Defines, builds (unless `build` is false: `dir` exists) and starts dir pool `name` at `dir`. */
export async function startDirPool(
  host: LabHost,
  name: string,
  dir: string,
  { build = true }: { build?: boolean } = {},
): Promise<void> {
  for (
    const args of [
      ["pool-define-as", "--name", name, "--type", "dir", "--target", dir],
      ...(build ? [["pool-build", "--pool", name]] : []),
      ["pool-start", "--pool", name],
    ]
  ) {
    const r = await host.virsh(...args);
    assertEquals(r.code, 0, r.stderr);
  }
}
