/**
 * The metrics of one blockboard process, wired once: the registry a scrape renders and the
 * hooks that feed it — the runner's call hook (virsh calls), the job book's transitions (finished
 * jobs), the monitor's memory (job gauges, read at scrape time) and an HTTP middleware. A scrape
 * only reads memory: it never runs virsh.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { VirshRunner } from "../virsh/runner.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { Job } from "../jobs/model.ts";
import { Registry } from "./registry.ts";
import { VirshCallMetrics } from "./virsh_calls.ts";
import { FinishedJobs, JobGauges, type JobSource } from "./jobs.ts";
import { HttpRequestMetrics } from "./http_requests.ts";

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** The `host` label of every per-host series. */
  hostName: string;
  runner: VirshRunner;
  monitor: JobMonitor;
}

/** The active jobs and libvirt's state, from the monitor's memory. */
export function monitorJobSource(monitor: JobMonitor): JobSource {
  return {
    activeJobs: () =>
      monitor.book.active().map((s) => monitor.book.get(s)).filter((j): j is Job => j !== null),
    libvirt: () => monitor.libvirt.snapshot(),
  };
}

/** See the module doc. */
export class Metrics {
  readonly registry = new Registry();
  readonly virsh: VirshCallMetrics;
  readonly finished: FinishedJobs;
  readonly http: HttpRequestMetrics;
  readonly #unsubscribe: (() => void)[];

  constructor(options: MetricsOptions) {
    const host = options.hostName;
    this.registry.register(new JobGauges(host, monitorJobSource(options.monitor)));
    this.finished = new FinishedJobs(this.registry, host);
    this.virsh = new VirshCallMetrics(this.registry, host);
    this.http = new HttpRequestMetrics(this.registry);
    this.#unsubscribe = [
      this.virsh.watch(options.runner),
      options.monitor.book.onTransition((t) => this.finished.observe(t)),
    ];
  }

  /** The middleware counting HTTP requests; mount it first. */
  countRequests(): MiddlewareHandler {
    return this.http.middleware();
  }

  /** The body of a scrape answer (exposition format 0.0.4), from memory. */
  render(): string {
    return this.registry.render();
  }

  /** Stops listening to the runner and the book. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }
}
