/**
 * Brings the libvirt lab up: packages, QEMU as root, daemons, no leftovers of dead test runs, and
 * the standing demo set. Idempotent. `deno task lab` runs it; `deno task test` runs it first.
 * Exits non-zero with the reason when the lab cannot come up: tests never skip silently.
 *
 * @module
 */
import { ensureDemo } from "./demo.ts";
import { ensureDaemons, ensurePackages, ensureQemuConf } from "./host.ts";
import { removeLeftovers } from "./leftovers.ts";
import { LAB_ROOT } from "./teardown.ts";
import { ensureLabHosts } from "./hosts_up.ts";
import { parseArgs } from "node:util";

/** Makes the lab ready; throws an error saying why when it cannot. */
export async function ensureLab(log: (line: string) => void = (l) => console.log(`lab: ${l}`)) {
  const started = Date.now();
  await ensurePackages(log);
  const changed = await ensureQemuConf(log);
  await ensureDaemons(changed, log);
  await Deno.mkdir(LAB_ROOT, { recursive: true });
  // Two `up` runs at once (two engineers, one machine) would build the demo set twice.
  using lock = await Deno.open(`${LAB_ROOT}/.up.lock`, { create: true, write: true });
  await lock.lock(true);
  await removeLeftovers(log);
  await ensureDemo(log);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (files under ${LAB_ROOT})`);
}

if (import.meta.main) {
  try {
    // `--hosts N`: also leave N namespaced libvirt hosts up for the dashboard (0 takes them down).
    const { values } = parseArgs({ args: Deno.args, options: { hosts: { type: "string" } } });
    await ensureLab();
    if (values.hosts !== undefined) await ensureLabHosts(Number(values.hosts));
  } catch (e) {
    console.error(
      `lab: CANNOT BRING UP THE LAB: ${e instanceof Error ? e.message : e}\n` +
        "lab: tests need a working libvirt qemu:///system as root; see tests/lab/up.ts",
    );
    Deno.exit(1);
  }
}
