/**
 * Which domain an audit entry is about, so the audit page can filter by it: the `{name}` of a
 * `/domains/{name}` route, else the value of a `--domain` option in the virsh argv. Pure.
 *
 * @module
 */

const DOMAIN_PATH = /\/domains\/([^/]+)/;

/** The domain named in a request path, decoded; null when there is none or it is malformed. */
export function domainOfPath(path: string): string | null {
  const match = DOMAIN_PATH.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
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
