/**
 * Host allowlist: the first check on every request. A DNS-rebinding page reaches us under its own
 * host name, so a request whose `Host` is not one we serve is refused with 421 before anything
 * else runs.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { HttpError } from "../http_errors.ts";

/** Where the server listens and which extra names are allowed. */
export interface AllowedHostsInput {
  /** The address given to `--host` / `Deno.serve` (`0.0.0.0`, `::`, `127.0.0.1`, a name...). */
  listenHost: string;
  /** The listening port. */
  port: number;
  /** Extra `--allowed-host` values: `name` or `name:port`. */
  extra?: readonly string[];
  /** The machine's host name; defaults to `Deno.hostname()`. */
  machineHostname?: string;
  /**
   * Addresses of the local interfaces, used when listening on a wildcard address; defaults to
   * `Deno.networkInterfaces()`.
   */
  interfaceAddresses?: readonly string[];
}

const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * The `Host` values we accept, lowercase, each `name:port`; the bare name is added too when the
 * port is 80 or 443 (browsers omit default ports). Defaults: the listening address, `localhost`,
 * `127.0.0.1`, `[::1]` and the machine's host name; on a wildcard address, every interface
 * address instead of the wildcard.
 */
export function allowedHosts(input: AllowedHostsInput): Set<string> {
  const names: string[] = ["localhost", "127.0.0.1", "[::1]"];
  const listen = input.listenHost.trim().toLowerCase();
  if (WILDCARDS.has(listen)) {
    names.push(...(input.interfaceAddresses ?? localInterfaceAddresses()));
  } else {
    names.push(listen);
  }
  const machine = input.machineHostname ?? safeHostname();
  if (machine) names.push(machine);

  const hosts = new Set<string>();
  for (const name of names) {
    for (const host of withPort(formatHostName(name), input.port)) hosts.add(host);
  }
  for (const entry of input.extra ?? []) {
    const normalized = entry.trim().toLowerCase();
    if (normalized === "") continue;
    if (hasPort(normalized)) hosts.add(normalized);
    else for (const host of withPort(formatHostName(normalized), input.port)) hosts.add(host);
  }
  return hosts;
}

/** Options of {@link hostAllowlist}. */
export interface HostAllowlistOptions {
  /** Lowercase `Host` values to accept, from {@link allowedHosts}. */
  allowed: ReadonlySet<string>;
}

/**
 * Middleware: 421 Misdirected Request unless the request's `Host` (or, lacking one, the URL's
 * authority) is in the allowlist. Bearer-token requests are not exempt.
 */
export function hostAllowlist(options: HostAllowlistOptions): MiddlewareHandler {
  return async (c, next) => {
    const host = requestHost(c);
    if (!options.allowed.has(host)) {
      const shown = host.slice(0, 200);
      throw new HttpError(
        421,
        "misdirected",
        `Host ${
          JSON.stringify(shown)
        } is not served here. If this is the right address for blockboard, start it with --allowed-host ${
          shown || "NAME"
        }.`,
      );
    }
    await next();
  };
}

/** The lowercase host (with port, when one was sent) this request was addressed to. */
export function requestHost(c: Context): string {
  const header = c.req.header("host");
  if (header !== undefined) return header.trim().toLowerCase();
  return new URL(c.req.url).host.toLowerCase();
}

/** Brackets bare IPv6 addresses so they can carry a port. */
function formatHostName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.includes(":") && !lower.startsWith("[")) return `[${lower}]`;
  return lower;
}

function withPort(name: string, port: number): string[] {
  const hosts = [`${name}:${port}`];
  if (port === 80 || port === 443) hosts.push(name);
  return hosts;
}

/** True for `name:port` and `[v6]:port`, false for `name`, `v6` and `[v6]`. */
function hasPort(entry: string): boolean {
  if (entry.startsWith("[")) return /\]:\d+$/.test(entry);
  return /^[^:]+:\d+$/.test(entry);
}

function safeHostname(): string | undefined {
  try {
    return Deno.hostname().toLowerCase();
  } catch {
    return undefined;
  }
}

function localInterfaceAddresses(): string[] {
  try {
    // Link-local IPv6 needs a zone id (`fe80::1%eth0`), which no browser sends in Host.
    return Deno.networkInterfaces().map((iface) => iface.address).filter((address) =>
      !address.toLowerCase().startsWith("fe80:")
    );
  } catch {
    return [];
  }
}
