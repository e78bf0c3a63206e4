/**
 * The host list from `--libvirt NAME=URI` (repeatable), `BLOCKBOARD_LIBVIRT` (comma-separated)
 * and `--hosts-file FILE` (one `NAME=URI` a line, `#` comments), around the default host
 * `local=<--connect URI>`. Pure: the caller reads the file.
 *
 * @module
 */
import { DEFAULT_HOST_NAME, hostNameSchema, type HostSpec, hostUriSchema } from "./model.ts";

/** A bad host entry; the message names the entry and says what is wrong. */
export class HostConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostConfigError";
  }
}

/** Parses one `NAME=URI`; `where` names its origin in the error (a flag, or `FILE:LINE`). */
export function parseHostSpec(text: string, where: string): HostSpec {
  const at = text.indexOf("=");
  if (at < 0) {
    throw new HostConfigError(`${where}: ${JSON.stringify(text)} must be NAME=URI`);
  }
  const name = text.slice(0, at).trim();
  const uri = text.slice(at + 1).trim();
  const n = hostNameSchema.safeParse(name);
  if (!n.success) {
    throw new HostConfigError(
      `${where}: host name ${JSON.stringify(name)} ${n.error.issues[0].message}`,
    );
  }
  const u = hostUriSchema.safeParse(uri);
  if (!u.success) {
    throw new HostConfigError(`${where}: URI ${JSON.stringify(uri)} ${u.error.issues[0].message}`);
  }
  return { name: n.data, uri: u.data };
}

/** Parses a hosts file's text: `NAME=URI` lines; blank lines and `#` comments are skipped. */
export function parseHostsFile(text: string, file: string): HostSpec[] {
  const specs: HostSpec[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    specs.push(parseHostSpec(line, `${file}:${index + 1}`));
  }
  return specs;
}

/** What {@link resolveHosts} combines. */
export interface HostSources {
  /** `--connect` / `LIBVIRT_DEFAULT_URI` (or its default): the default host's URI. */
  connect: string;
  /** True when the operator gave `--connect`/`LIBVIRT_DEFAULT_URI` explicitly. */
  connectGiven: boolean;
  /** `--libvirt` values, else `BLOCKBOARD_LIBVIRT` split on commas. */
  listed: readonly HostSpec[];
  /** Entries of `--hosts-file`. */
  fromFile: readonly HostSpec[];
}

/**
 * The hosts in order, default first: `local=<connect>` unless a listed entry is named `local`
 * (then that entry is the default host, and an explicit `--connect` with another URI is an
 * error). Names and URIs must be unique: two monitors on one libvirt would adopt each other's
 * jobs.
 */
export function resolveHosts(sources: HostSources): HostSpec[] {
  const entries = [...sources.listed, ...sources.fromFile];
  const ownLocal = entries.find((h) => h.name === DEFAULT_HOST_NAME);
  if (ownLocal && sources.connectGiven && ownLocal.uri !== sources.connect) {
    throw new HostConfigError(
      `host "${DEFAULT_HOST_NAME}" is ${ownLocal.uri} in the host list but --connect says ${sources.connect}; give one of them`,
    );
  }
  const hosts: HostSpec[] = [ownLocal ?? { name: DEFAULT_HOST_NAME, uri: sources.connect }];
  for (const h of entries) {
    if (h === ownLocal) continue;
    const sameName = hosts.find((o) => o.name === h.name);
    if (sameName) {
      throw new HostConfigError(`host name ${JSON.stringify(h.name)} is given twice`);
    }
    hosts.push(h);
  }
  const uris = new Map<string, string>();
  for (const h of hosts) {
    const other = uris.get(h.uri);
    if (other) {
      throw new HostConfigError(
        `hosts ${JSON.stringify(other)} and ${JSON.stringify(h.name)} both use ${h.uri}`,
      );
    }
    uris.set(h.uri, h.name);
  }
  return hosts;
}
