/**
 * Which domain an audit entry is about, so the audit page can filter by name: the `{name}` of a
 * `/domains/{name}` route (UI routes carry the UUID instead, which `nameOf` turns back into the
 * name when it can), else the value of a `--domain` option in the virsh argv. Pure.
 *
 * @module
 */
import { isUuid } from "../virsh/values.ts";
import type { Job } from "../jobs/model.ts";

/** Name of the domain with this UUID (and disk), when known without running virsh. */
export type DomainNameLookup = (uuid: string, target: string | null) => string | null;

const DOMAIN_PATH = /\/domains\/([^/]+)(?:\/disks\/([^/]+))?/;

/**
 * The domain named in a raw (still percent-encoded) request path, decoded; a UUID is replaced by
 * the name `nameOf` knows. Null when the path names no domain or is malformed.
 */
export function domainOfPath(rawPath: string, nameOf?: DomainNameLookup): string | null {
  const match = DOMAIN_PATH.exec(rawPath);
  if (!match) return null;
  let domain: string;
  let target: string | null;
  try {
    domain = decodeURIComponent(match[1]);
    target = match[2] === undefined ? null : decodeURIComponent(match[2]);
  } catch {
    return null;
  }
  if (nameOf && isUuid(domain)) return nameOf(domain, target) ?? domain;
  return domain;
}

/**
 * Names from the job monitor: UI routes address a disk by UUID, and the monitor knows the name of
 * every domain with a job on that disk (running, being started, or finished), without virsh.
 */
export function domainNamesFromJobs(monitor: {
  getJob(uuid: string, target: string): Job | null;
  getHistory(uuid: string, target: string): Job[];
}): DomainNameLookup {
  return (uuid, target) => {
    if (target === null) return null;
    return (monitor.getJob(uuid, target) ?? monitor.getHistory(uuid, target).at(-1))?.domain ??
      null;
  };
}

/** The value of `--domain` (or `--domain=`) in a virsh argv, or null. */
export function domainOfArgv(argv: readonly string[] | null | undefined): string | null {
  if (!argv) return null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--domain") return argv[i + 1] ?? null;
    if (argv[i].startsWith("--domain=")) return argv[i].slice("--domain=".length);
  }
  return null;
}
