/**
 * A registry of one host around services built the single-host way (`createServices`): what
 * `createApp` uses when it is given no registry (unit tests, embedding), so every route exists
 * in one shape.
 *
 * @module
 */
import type { Services } from "../services.ts";
import type { Host, HostRegistry, HostStatus } from "./model.ts";

/** The registry holding only `services`' host, named `services.hostName`. */
export function singleHostRegistry(services: Services): HostRegistry {
  const status = (): HostStatus => {
    const seen = services.monitor.libvirt.snapshot();
    // Not yet asked counts as reachable: only a failure seen says otherwise.
    const reachable = seen.reachable || seen.lastErrorAt === null;
    return {
      reachable,
      lastError: reachable ? null : (seen.message ?? "libvirt is not answering"),
      // The monitor's own retry has no announced time; since when is known.
      since: reachable ? null : seen.lastErrorAt,
      nextRetryAt: null,
    };
  };
  const host: Host = {
    name: services.hostName,
    uri: services.runner.uri,
    isDefault: true,
    services,
    get reachable() {
      return status().reachable;
    },
    get lastError() {
      return status().lastError;
    },
    status,
    checkNow: () => Promise.resolve(),
    markLate: () => {}, // the monitor's own health check tells
  };
  return {
    list: () => [host],
    get: (name) => name === host.name ? host : undefined,
    default: host,
  };
}
