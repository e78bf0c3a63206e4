/**
 * The dashboard's query (`/?q=&state=&job=`): validated with zod, then applied to the inventory
 * snapshot (name substring, state, has a running job) and sorted naturally. Pure.
 *
 * @module
 */
import { z } from "zod";
import type { Domain, DomainState } from "./model.ts";
import { isActivePhase, type Job } from "../jobs/model.ts";
import { naturalSort } from "./natural_sort.ts";

/** Every state a domain can be in, in the order the filter offers them. */
export const DOMAIN_STATES: readonly DomainState[] = [
  "running",
  "paused",
  "shut off",
  "blocked",
  "shutdown",
  "crashed",
  "pmsuspended",
  "no state",
];

/** Longest search text accepted (the search box has the same `maxlength`). */
export const MAX_QUERY_LENGTH = 200;

/** `job=` values: any, only domains with a running job, only domains without. */
export const JOB_FILTERS = ["", "yes", "no"] as const;

/** The dashboard query; an absent parameter means "any". */
export const dashboardQuerySchema = z.object({
  q: z.string().max(MAX_QUERY_LENGTH, {
    message: `the search text is longer than ${MAX_QUERY_LENGTH} characters`,
  }).default(""),
  state: z.enum(["", ...DOMAIN_STATES] as [string, ...string[]], {
    message: `the state must be one of ${DOMAIN_STATES.join(", ")} (or empty for any)`,
  }).default(""),
  job: z.enum(JOB_FILTERS, { message: "job must be yes, no or empty (any)" }).default(""),
});

/** A validated dashboard query. */
export interface DashboardQuery {
  /** Part of the name, any case; "" for all. */
  q: string;
  /** One state, or "" for any. */
  state: DomainState | "";
  /** "yes": a block job runs on some disk; "no": none does; "": either. */
  job: (typeof JOB_FILTERS)[number];
}

/** The query that shows everything. */
export const ALL_DOMAINS: DashboardQuery = { q: "", state: "", job: "" };

/** Result of {@link parseDashboardQuery}: the query, or one sentence saying what is wrong. */
export type ParsedQuery = { ok: true; query: DashboardQuery } | { ok: false; error: string };

/** Validates the raw query parameters (unknown ones are ignored). */
export function parseDashboardQuery(raw: Record<string, string | undefined>): ParsedQuery {
  const parsed = dashboardQuerySchema.safeParse({ q: raw.q, state: raw.state, job: raw.job });
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "the query is not valid";
    return { ok: false, error: `Bad filter: ${message}.` };
  }
  const { q, state, job } = parsed.data;
  return { ok: true, query: { q: q.trim(), state: state as DomainState | "", job } };
}

/** The running (or ready) block jobs of a domain's disks, from the monitor's memory. */
export function activeJobs(domain: Domain): Job[] {
  return domain.disks.flatMap((d) => d.job && isActivePhase(d.job.phase) ? [d.job] : []);
}

/** True when `domain` passes every part of `query`. */
export function matchesQuery(domain: Domain, query: DashboardQuery): boolean {
  if (query.state && domain.state !== query.state) return false;
  if (query.job) {
    const busy = activeJobs(domain).length > 0;
    if (busy !== (query.job === "yes")) return false;
  }
  if (query.q && !domain.name.toLocaleLowerCase().includes(query.q.toLocaleLowerCase())) {
    return false;
  }
  return true;
}

/** The domains that match `query`, in natural name order. */
export function filterDomains(domains: readonly Domain[], query: DashboardQuery): Domain[] {
  return naturalSort(domains.filter((d) => matchesQuery(d, query)), (d) => d.name);
}

/** Every active job on the host, by domain (natural order) then disk target. */
export function jobsRunningNow(domains: readonly Domain[]): Job[] {
  return naturalSort(domains, (d) => d.name).flatMap((d) =>
    naturalSort(activeJobs(d), (j) => j.target)
  );
}
