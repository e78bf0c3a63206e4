/**
 * The job metrics of every host: per active job its progress, counters, rate, ETA and bandwidth
 * limit (`blockboard_job_*{host,domain,disk,type,phase}`), how many jobs are active and whether
 * libvirt answers, per host, all read from memory (each monitor's book, each host's
 * reachability) at scrape time; and `blockboard_jobs_finished_total{host,type,outcome}`, counted
 * from the books' end transitions.
 *
 * @module
 */
import type { Job } from "../jobs/model.ts";
import type { JobTransition } from "../jobs/transitions.ts";
import type { MetricFamily } from "./exposition.ts";
import { type Collector, Counter, type Registry } from "./registry.ts";
import { type GaugeDefinition, gaugeFamily, itemGauges } from "./gauges.ts";

/** What the job metrics read of one host: its monitor's book and whether libvirt answers. */
export interface JobSource {
  /** The `host` label. */
  host: string;
  /** Jobs running or ready now. */
  activeJobs(): Job[];
  /** True while the host's libvirt answers (the registry's reachability); from memory. */
  up(): boolean;
}

/** An active job and the host it runs on. */
interface HostJob {
  host: string;
  job: Job;
}

/** The per-job gauges. */
const JOB_GAUGES: readonly GaugeDefinition<HostJob>[] = [
  {
    name: "blockboard_job_progress_ratio",
    help: "Progress of the job, cur/end from 0 to 1.",
    value: ({ job }) => job.end > 0 ? Math.min(1, job.cur / job.end) : 0,
  },
  {
    name: "blockboard_job_bytes_done",
    help: "Progress counter of the job (bytes; abstract units for an idle active commit).",
    value: ({ job }) => job.cur,
  },
  {
    name: "blockboard_job_bytes_total",
    help: "End of the job's progress counter (grows while the guest writes during a mirror).",
    value: ({ job }) => job.end,
  },
  {
    name: "blockboard_job_rate_bytes_per_second",
    help: "Progress rate over the monitor's sliding window; absent until two samples exist.",
    value: ({ job }) => job.rateBytesPerSecond,
  },
  {
    name: "blockboard_job_eta_seconds",
    help: "Seconds until the job reaches its end at the current rate; absent when unknown.",
    value: ({ job }) => job.etaSeconds,
  },
  {
    name: "blockboard_job_bandwidth_limit_bytes",
    help: "Bandwidth limit of the job in bytes per second; 0 means unlimited.",
    value: ({ job }) => job.bandwidthBytes,
  },
];

/** The labels of a job's series. Pure. */
export function jobLabels(host: string, job: Job): Record<string, string> {
  return { host, domain: job.domain, disk: job.target, type: job.type, phase: job.phase };
}

/** The gauges of every host added, read at scrape time; see the module doc. */
export class JobGauges implements Collector {
  readonly #sources: JobSource[] = [];

  /** Adds a host's source; returns the function that removes it. */
  add(source: JobSource): () => void {
    this.#sources.push(source);
    return () => {
      const i = this.#sources.indexOf(source);
      if (i >= 0) this.#sources.splice(i, 1);
    };
  }

  /** The per-job gauges of the active jobs, `jobs_active` and `libvirt_up`, per host, read now. */
  collect(): MetricFamily[] {
    const hosts = this.#sources.map((source) => ({ source, jobs: source.activeJobs() }));
    const jobs = hosts.flatMap(({ source, jobs }) =>
      jobs.map((job): HostJob => ({ host: source.host, job }))
    );
    return [
      ...itemGauges(JOB_GAUGES, jobs, ({ host, job }) => jobLabels(host, job)),
      gaugeFamily(
        "blockboard_jobs_active",
        "Block jobs running or ready now.",
        hosts.map(({ source, jobs }) => [{ host: source.host }, jobs.length]),
      ),
      gaugeFamily(
        "blockboard_libvirt_up",
        "1 while the host's libvirt answers (the dashboard's reachability of the host), else 0.",
        hosts.map(({ source }) => [{ host: source.host }, source.up() ? 1 : 0]),
      ),
    ];
  }
}

/** Counts finished jobs by host, type and final phase. */
export class FinishedJobs {
  readonly counter: Counter;

  constructor(registry: Registry) {
    this.counter = registry.register(
      new Counter(
        "blockboard_jobs_finished_total",
        "Block jobs that ended, by type and final phase (completed, pivoted, kept-copy, canceled, failed, interrupted, unknown).",
        ["host", "type", "outcome"],
      ),
    );
  }

  /**
   * Counts an `ended` transition out of an active phase (a later correction of an `unknown` end
   * by a late event is not a second job).
   */
  observe(host: string, t: JobTransition): void {
    if (t.kind !== "ended" || (t.from !== "running" && t.from !== "ready")) return;
    this.counter.inc({ host, type: t.job.type, outcome: t.job.phase });
  }
}
