/**
 * The metrics of one blockboard process — the whole control plane, every libvirt host — wired
 * once: the registry a scrape renders and the hooks that feed it. Each host adds itself
 * ({@link Metrics.addHost}: its runner's call hook, its job book's transitions, its monitor's
 * memory, its reachability, its storage moves); the migration service adds itself
 * ({@link Metrics.watchMigrations}); an HTTP middleware counts requests. A scrape only reads
 * memory: it never runs virsh.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { VirshRunner } from "../virsh/runner.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { Job } from "../jobs/model.ts";
import type { MoveSource } from "../moves/events.ts";
import type { MigrationSource } from "../migrations/events.ts";
import { Registry } from "./registry.ts";
import { VirshCallMetrics } from "./virsh_calls.ts";
import { FinishedJobs, JobGauges } from "./jobs.ts";
import { HttpRequestMetrics } from "./http_requests.ts";
import { MigrationMetrics } from "./migrations.ts";
import { MoveMetrics } from "./moves.ts";

/** One host as the metrics see it. */
export interface MetricsHost {
  /** The `host` label of its series. */
  name: string;
  runner: VirshRunner;
  monitor: JobMonitor;
  /** True while its libvirt answers; default: the monitor's last call succeeded. */
  up?: () => boolean;
  /** Its storage moves, if any. */
  moves?: MoveSource;
}

/** The active jobs of a monitor, from its book's memory. */
export function activeJobsOf(monitor: JobMonitor): Job[] {
  return monitor.book.active().map((s) => monitor.book.get(s)).filter((j): j is Job => j !== null);
}

/** See the module doc. */
export class Metrics {
  readonly registry = new Registry();
  readonly jobs: JobGauges;
  readonly finished: FinishedJobs;
  readonly virsh: VirshCallMetrics;
  readonly migrations: MigrationMetrics;
  readonly moves: MoveMetrics;
  readonly http: HttpRequestMetrics;
  readonly #unsubscribe: (() => void)[] = [];

  constructor() {
    this.jobs = this.registry.register(new JobGauges());
    this.finished = new FinishedJobs(this.registry);
    this.virsh = new VirshCallMetrics(this.registry);
    this.migrations = new MigrationMetrics(this.registry);
    this.moves = new MoveMetrics(this.registry);
    this.http = new HttpRequestMetrics(this.registry);
  }

  /** Counts and reads `host` from now on (its series carry `host.name`). */
  addHost(host: MetricsHost): void {
    const { name, monitor } = host;
    this.#unsubscribe.push(
      this.jobs.add({
        host: name,
        activeJobs: () => activeJobsOf(monitor),
        up: host.up ?? (() => monitor.libvirt.snapshot().reachable),
      }),
      this.virsh.watch(name, host.runner),
      monitor.book.onTransition((t) => this.finished.observe(name, t)),
    );
    if (host.moves) this.#unsubscribe.push(this.moves.watch(name, host.moves));
  }

  /** Reads and counts the migrations of `source` from now on (once, however often called). */
  watchMigrations(source: MigrationSource): void {
    this.#unsubscribe.push(this.migrations.watch(source));
  }

  /** The middleware counting HTTP requests; mount it first. */
  countRequests(): MiddlewareHandler {
    return this.http.middleware();
  }

  /** The body of a scrape answer (exposition format 0.0.4), from memory. */
  render(): string {
    return this.registry.render();
  }

  /** Stops listening to every runner, book, move engine and migration service. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }
}
