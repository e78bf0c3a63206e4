/**
 * Where QEMU sends a migration stream: the target host's address. Hosts that share one hostname
 * (the lab's namespaced hosts, hosts behind NAT) need it said explicitly with `--migrateuri`; by
 * default it is the host part of the target's libvirt URI (`qemu+tcp://10.77.1.2/system` →
 * `tcp://10.77.1.2`), and an operator may set another per host (`--migration-address NAME=ADDR`).
 *
 * @module
 */
import { migrateUriSchema } from "../virsh/values.ts";

/**
 * The host part of a libvirt URI (`qemu+ssh://root@h:22/system` → `h`, IPv6 kept in brackets),
 * or null for a URI without one (`qemu:///system`). Pure.
 */
export function uriHost(uri: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]*)/.exec(uri);
  const host = m?.[1] ?? "";
  return host === "" ? null : host;
}

/**
 * The `--migrateuri` for a target: `tcp://ADDRESS` from the per-host setting when given, else
 * from the URI's host part; null when neither names a host (local URI: libvirt's default). Pure;
 * throws when the result is not a valid migration URI.
 */
export function migrateUriFor(targetUri: string, address?: string): string | null {
  const host = address ?? uriHost(targetUri);
  if (host === null) return null;
  const uri = `tcp://${host}`;
  const r = migrateUriSchema.safeParse(uri);
  if (!r.success) {
    throw new Error(`the migration address ${JSON.stringify(host)} is not a host name or address`);
  }
  return r.data;
}

/**
 * Parses `NAME=ADDRESS` of `--migration-address` (repeatable) into a map. Pure; throws a
 * sentence naming the bad entry.
 */
export function parseMigrationAddresses(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    const name = entry.slice(0, eq).trim();
    const address = entry.slice(eq + 1).trim();
    if (eq <= 0 || address === "" || !migrateUriSchema.safeParse(`tcp://${address}`).success) {
      throw new Error(
        `--migration-address ${
          JSON.stringify(entry)
        }: expected NAME=ADDRESS, such as b=10.77.2.2 (a host name or IP address, optionally :PORT)`,
      );
    }
    map.set(name, address);
  }
  return map;
}
