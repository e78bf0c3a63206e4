/**
 * What the all-hosts views show of each host, each read under its own deadline so a slow or
 * dead host costs the page at most that deadline (and nothing once it is known to be down: its
 * calls fail fast).
 *
 * @module
 */
import type { z } from "zod";
import type { Domain } from "../inventory/model.ts";
import type { hostSummarySchema } from "./api_routes.ts";
import { jobsRunningNow } from "../inventory/filter.ts";
import type { Job } from "../jobs/model.ts";
import { withDeadline } from "./deadline.ts";
import type { Host, HostRegistry, HostStatus } from "./model.ts";

/** Default per-host deadline of a page (ms). */
export const HOST_PAGE_DEADLINE_MS = 1500;

/** One host as the all-hosts page and `GET /api/v1/hosts` see it. */
export interface HostOverview {
  name: string;
  uri: string;
  isDefault: boolean;
  /** Its domains; null when it did not answer (then `status.lastError` or `problem` says why). */
  domains: Domain[] | null;
  /** Its active jobs, each carrying `host`. */
  jobs: Job[];
  status: HostStatus;
  /** Why this read failed, when it did (also while the host still counts as reachable). */
  problem: string | null;
}

/** One host in `GET /api/v1/hosts`. */
export type HostSummary = z.infer<typeof hostSummarySchema>;

/**
 * The API's summary of one host. Reachability is the health's alone, so `reachable: false`
 * always comes with `since` and `nextRetryAt`; a read that failed while the host still answers
 * (libvirt refused, a session broke) shows as `domains: null` with its sentence. Pure.
 */
export function hostSummary(h: HostOverview): HostSummary {
  return {
    name: h.name,
    uri: h.uri,
    default: h.isDefault,
    reachable: h.status.reachable,
    domains: h.domains?.length ?? null,
    jobs: h.domains === null ? null : h.jobs.length,
    lastError: h.status.lastError ?? h.problem,
    since: h.status.since,
    nextRetryAt: h.status.nextRetryAt,
  };
}

/** Reads every host at once, each under `deadlineMs`. */
export function hostOverviews(
  registry: HostRegistry,
  deadlineMs = HOST_PAGE_DEADLINE_MS,
): Promise<HostOverview[]> {
  return Promise.all(registry.list().map((host) => hostOverview(host, deadlineMs)));
}

async function hostOverview(host: Host, deadlineMs: number): Promise<HostOverview> {
  if (!host.reachable) {
    // Known down: no read at all (one still hanging from before would cost the deadline again);
    // the health's own retry finds it back.
    return {
      name: host.name,
      uri: host.uri,
      isDefault: host.isDefault,
      domains: null,
      jobs: [],
      status: host.status(),
      problem: host.lastError,
    };
  }
  const read = await withDeadline(
    host.services.inventory.listDomains(),
    deadlineMs,
    `host ${host.name} (${host.uri})`,
  );
  if (!read.ok && read.timedOut) {
    // Down from now (with since and a retry time), until the probe started here finds it back:
    // the next page fails fast, and no answer says "unreachable" without saying since when.
    host.markLate(read.error);
  }
  const domains = read.ok ? read.value : null;
  return {
    name: host.name,
    uri: host.uri,
    isDefault: host.isDefault,
    domains,
    jobs: domains ? jobsRunningNow(domains).map((j) => ({ ...j, host: host.name })) : [],
    status: host.status(),
    problem: read.ok ? null : read.error,
  };
}
