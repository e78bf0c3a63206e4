/**
 * The job metrics: per active job its progress, counters, rate, ETA and bandwidth limit
 * (`blockboard_job_*{host,domain,disk,type,phase}`), how many jobs are active, whether libvirt
 * answers, all read from the monitor's memory at scrape time; and
 * `blockboard_jobs_finished_total{host,type,outcome}`, counted from the book's end transitions.
 *
 * @module
 */
import type { Job } from "../jobs/model.ts";
import type { JobTransition } from "../jobs/transitions.ts";
import type { LibvirtSeen } from "../jobs/libvirt_seen.ts";
import type { MetricFamily, Sample } from "./exposition.ts";
import { type Collector, Counter, type Registry } from "./registry.ts";

/** What the job metrics read: the monitor's book and its view of libvirt. */
export interface JobSource {
  /** Jobs running or ready now. */
  activeJobs(): Job[];
  /** What the monitor last saw of libvirt. */
  libvirt(): LibvirtSeen;
}

/** One per-job gauge: its name, help and value (null: not known, no sample). */
const JOB_GAUGES: readonly { name: string; help: string; value: (job: Job) => number | null }[] = [
  {
    name: "blockboard_job_progress_ratio",
    help: "Progress of the job, cur/end from 0 to 1.",
    value: (job) => job.end > 0 ? Math.min(1, job.cur / job.end) : 0,
  },
  {
    name: "blockboard_job_bytes_done",
    help: "Progress counter of the job (bytes; abstract units for an idle active commit).",
    value: (job) => job.cur,
  },
  {
    name: "blockboard_job_bytes_total",
    help: "End of the job's progress counter (grows while the guest writes during a mirror).",
    value: (job) => job.end,
  },
  {
    name: "blockboard_job_rate_bytes_per_second",
    help: "Progress rate over the monitor's sliding window; absent until two samples exist.",
    value: (job) => job.rateBytesPerSecond,
  },
  {
    name: "blockboard_job_eta_seconds",
    help: "Seconds until the job reaches its end at the current rate; absent when unknown.",
    value: (job) => job.etaSeconds,
  },
  {
    name: "blockboard_job_bandwidth_limit_bytes",
    help: "Bandwidth limit of the job in bytes per second; 0 means unlimited.",
    value: (job) => job.bandwidthBytes,
  },
];

/** The labels of a job's series. Pure. */
export function jobLabels(host: string, job: Job): Record<string, string> {
  return { host, domain: job.domain, disk: job.target, type: job.type, phase: job.phase };
}

/** The gauges read at scrape time; see the module doc. */
export class JobGauges implements Collector {
  constructor(readonly host: string, readonly source: JobSource) {}

  /** The per-job gauges of the active jobs, `jobs_active` and `libvirt_up`, read now. */
  collect(): MetricFamily[] {
    const jobs = this.source.activeJobs();
    const families: MetricFamily[] = JOB_GAUGES.map((g) => ({
      name: g.name,
      help: g.help,
      type: "gauge",
      samples: jobs.flatMap((job): Sample[] => {
        const value = g.value(job);
        return value === null ? [] : [{ name: g.name, labels: jobLabels(this.host, job), value }];
      }),
    }));
    families.push({
      name: "blockboard_jobs_active",
      help: "Block jobs running or ready now.",
      type: "gauge",
      samples: [{
        name: "blockboard_jobs_active",
        labels: { host: this.host },
        value: jobs.length,
      }],
    });
    families.push({
      name: "blockboard_libvirt_up",
      help: "1 when the last call of the job monitor to libvirt succeeded, else 0.",
      type: "gauge",
      samples: [{
        name: "blockboard_libvirt_up",
        labels: { host: this.host },
        value: this.source.libvirt().reachable ? 1 : 0,
      }],
    });
    return families;
  }
}

/** Counts finished jobs by type and final phase. */
export class FinishedJobs {
  readonly counter: Counter;

  constructor(registry: Registry, readonly host: string) {
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
  observe(t: JobTransition): void {
    if (t.kind !== "ended" || (t.from !== "running" && t.from !== "ready")) return;
    this.counter.inc({ host: this.host, type: t.job.type, outcome: t.job.phase });
  }
}
