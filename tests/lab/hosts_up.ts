/**
 * Lab hosts left up for the dashboard: `deno task lab -- --hosts N` brings up N namespaced
 * libvirt hosts (`hosts.ts`) and prints the `--libvirt` flags that reach them;
 * `deno task lab -- --hosts 0` takes them down again. Tests never rely on these: they bring up
 * their own.
 *
 * @module
 */
import { exec } from "./exec.ts";
import {
  type LabHostAddressing,
  labHostAddressing,
  startLabHost,
  teardownLabHost,
} from "./hosts.ts";

/** Options of {@link ensureLabHosts}. */
export interface LabHostsOptions {
  /** Name prefix (default "bbh"): hosts are PREFIX1, PREFIX2, ... */
  prefix?: string;
  /** Number of the first host (default 1): its addresses are 10.77.N.x. */
  firstNumber?: number;
  /** How many hosts of this prefix may exist at most (the rest are taken down; default 9). */
  maxHosts?: number;
}

/** The names and addresses of host `index` (0-based) of a set. Pure. */
export function labHostsOfSet(count: number, options: LabHostsOptions = {}): LabHostAddressing[] {
  const prefix = options.prefix ?? "bbh";
  const first = options.firstNumber ?? 1;
  return Array.from(
    { length: count },
    (_, i) => labHostAddressing({ name: `${prefix}${first + i}`, number: first + i }),
  );
}

/**
 * Makes exactly `count` lab hosts of the set answer: ones already answering are kept (with their
 * domains), others are (re)built, and those numbered beyond `count` are taken down. Returns the
 * hosts that are up.
 */
export async function ensureLabHosts(
  count: number,
  options: LabHostsOptions = {},
  log: (line: string) => void = (l) => console.log(`lab: ${l}`),
): Promise<LabHostAddressing[]> {
  const max = options.maxHosts ?? 9;
  if (!Number.isInteger(count) || count < 0 || count > max) {
    throw new RangeError(`--hosts must be 0-${max}, got ${count}`);
  }
  const all = labHostsOfSet(max, options);
  for (const host of all.slice(count)) await teardownLabHost(host);
  for (const host of all.slice(0, count)) {
    const answer = await exec("virsh", ["-c", host.uri, "list"], { timeoutMs: 5_000 });
    if (answer.code === 0) {
      log(`host ${host.name}: already answers on ${host.uri}`);
      continue;
    }
    await startLabHost(host);
    log(`host ${host.name}: up on ${host.uri} (images in ${host.stateDir}/lib/images)`);
  }
  const up = all.slice(0, count);
  if (up.length) {
    log(
      `start the dashboard with: deno task start ${
        up.map((h) => `--libvirt ${h.name}=${h.uri}`).join(" ")
      }`,
    );
  }
  return up;
}
