/**
 * The hosts of one dashboard: for each configured libvirt URI its own guarded runner, inventory,
 * job monitor with event listener, operations, history and storage roots, built by
 * `createServices` exactly as for a single host. A host that is down never holds up the others:
 * start-up waits for none of them, and its calls fail fast until a retry finds it back.
 *
 * @module
 */
import type { Database } from "../db.ts";
import { createServices, type ServiceOptions, type Services } from "../services.ts";
import type { ClosableRunner } from "../virsh/pool.ts";
import { GuardedRunner } from "./guarded_runner.ts";
import { VirshError } from "../virsh/errors.ts";
import { HostHealth } from "./health.ts";
import { Metrics } from "../metrics/service.ts";
import type { Host, HostRegistry, HostSpec, HostStatus } from "./model.ts";

/** Options of {@link createHostRegistry}. */
export interface HostRegistryOptions {
  /** Hosts in order; the first is the default. */
  hosts: readonly HostSpec[];
  /** The runner of one host (`virsh -c URI`, session pool); the registry guards it. */
  runnerFor: (spec: HostSpec) => ClosableRunner;
  /** Per-host service options (storage roots: path destinations on the local host only). */
  serviceOptions?: (spec: HostSpec, isDefault: boolean) => ServiceOptions;
  /** The database shared by all hosts (history rows carry their host). */
  db?: Database;
  /** Deadline of a reachability probe (default 3000 ms). */
  probeTimeoutMs?: number;
  /** Reconnection backoff (default 1 s doubling to 30 s). */
  backoffMs?: { initial: number; max: number };
}

/** A registry that can be started and stopped (the server's lifetime). */
export interface RunningHostRegistry extends HostRegistry {
  /** Starts every host's monitor without waiting for hosts that do not answer yet. */
  start(): Promise<void>;
  /**
   * Resolves once host `name`'s monitor has made its first resync (or failed to): from then on
   * a job it reports as started is new, not one that ran before blockboard started.
   */
  started(name: string): Promise<void>;
  /** Stops monitors, retries and every virsh process. */
  stop(): Promise<void>;
}

class RegistryHost implements Host {
  readonly name: string;
  readonly uri: string;
  readonly isDefault: boolean;
  readonly services: Services;
  readonly health: HostHealth;
  readonly runner: ClosableRunner;

  constructor(spec: HostSpec, isDefault: boolean, services: Services, health: HostHealth) {
    this.name = spec.name;
    this.uri = spec.uri;
    this.isDefault = isDefault;
    this.services = services;
    this.health = health;
    this.runner = services.runner as ClosableRunner;
  }

  get reachable(): boolean {
    return this.health.reachable;
  }

  get lastError(): string | null {
    return this.health.lastError;
  }

  status(): HostStatus {
    return this.health.status();
  }

  checkNow(): Promise<void> {
    return this.health.suspect();
  }

  markLate(message: string): void {
    this.health.markFailure(message);
    void this.health.suspect();
  }
}

/** Builds every host's services; call `start()` to begin watching. */
export function createHostRegistry(options: HostRegistryOptions): RunningHostRegistry {
  if (options.hosts.length === 0) throw new Error("at least one host is needed");
  // One set of metrics for the control plane: every host's series, one scrape.
  const metrics = new Metrics();
  const hosts = options.hosts.map((spec, index) => {
    const inner = options.runnerFor(spec);
    // The health's recovery re-reads through the services built just below.
    const built: { services?: Services } = {};
    const health = new HostHealth({
      probe: async () => {
        // A process of its own (the long lane): a session that cannot connect only says it
        // ended, a fresh virsh says why (refused, no route, TLS).
        try {
          await inner.run(["uri"], { timeoutMs: options.probeTimeoutMs ?? 3000, lane: "long" });
        } catch (e) {
          // libvirt's own words: the generic advice (start libvirtd here) does not fit a remote host.
          throw e instanceof VirshError && e.libvirtMessage ? new Error(e.libvirtMessage) : e;
        }
      },
      onRecovered: () => {
        // Whatever happened while it was away: re-read domains and adopt jobs again.
        built.services?.inventory.invalidate();
        void built.services?.monitor.resync().catch(() => {});
      },
      backoffMs: options.backoffMs,
    });
    const runner = new GuardedRunner(spec.name, inner, health);
    const services = createServices(runner, {
      ...(options.db ? { db: options.db } : {}),
      ...options.serviceOptions?.(spec, index === 0),
      hostName: spec.name,
      metrics,
      reachable: () => health.reachable,
    });
    built.services = services;
    return new RegistryHost(spec, index === 0, services, health);
  });
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const starts = new Map<string, Promise<void>>();
  const startMonitor = (host: RegistryHost) => {
    const started = host.services.monitor.start().catch((e) =>
      console.error(`blockboard: host ${host.name}: monitor could not resync yet: ${e}`)
    );
    starts.set(host.name, started);
    return started;
  };
  return {
    list: () => hosts,
    get: (name) => byName.get(name),
    default: hosts[0],
    async start() {
      // The default host first, as before; the others in the background, each on its own.
      await startMonitor(hosts[0]);
      for (const host of hosts.slice(1)) void startMonitor(host);
    },
    started: (name) => starts.get(name) ?? Promise.resolve(),
    async stop() {
      for (const host of hosts) host.health.stop();
      await Promise.all(hosts.map((h) => h.services.monitor.stop()));
      await Promise.all(hosts.map((h) => h.runner.close()));
    },
  };
}
