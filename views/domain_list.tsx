/**
 * The dashboard's compact list: one row per domain (name, state, disks, running jobs), linking to
 * the domain's page, which has the chains and the forms. Sized for hundreds of domains. Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import type { Disk, Domain } from "../server/inventory/model.ts";
import type { Job } from "../server/jobs/model.ts";
import { activeJobs } from "../server/inventory/filter.ts";
import { domainHref } from "./dashboard.tsx";

/** Element id of the list region that the filter form replaces. */
export const RESULTS_ID = "domain-results";

/** Disks named in a row before the rest are counted as "+N". */
const DISKS_SHOWN = 3;

/** Props of {@link DomainResults}. */
export interface DomainResultsProps {
  /** The domains to list, already filtered and sorted. */
  domains: readonly Domain[];
  /** How many domains the host has (before filtering). */
  total: number;
  /** Why the query was refused (the list is then empty). */
  error?: string | null;
}

/** The summary line and the list, or an empty state; replaced whole by the filter form. */
export function DomainResults({ domains, total, error }: DomainResultsProps) {
  return (
    <section id={RESULTS_ID} class="domain-results" aria-label="Domains">
      {error
        ? <p class="error-message">{error}</p>
        : total === 0
        ? <NoDomains />
        : domains.length === 0
        ? (
          <p class="summary">
            No domain matches (of {total}). <a href={hostHref("/")}>Show all domains</a>
          </p>
        )
        : (
          <>
            <p class="summary">
              {domains.length === total ? `${total}` : `${domains.length} of ${total}`} domain
              {total === 1 ? "" : "s"}
            </p>
            <DomainTable domains={domains} />
          </>
        )}
    </section>
  );
}

function NoDomains() {
  return (
    <div class="empty">
      <h2>No domains</h2>
      <p>
        libvirt answered but has no domains on this connection. Define or start one with{" "}
        <code>virsh define</code> / <code>virsh create</code>; it appears here on reload.
      </p>
    </div>
  );
}

/** The table of domains. */
export function DomainTable({ domains }: { domains: readonly Domain[] }) {
  return (
    <table class="domain-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">State</th>
          <th scope="col">Disks (layers)</th>
          <th scope="col">Job</th>
        </tr>
      </thead>
      <tbody>{domains.map((d) => <DomainRow domain={d} />)}</tbody>
    </table>
  );
}

/** One domain's row. */
export function DomainRow({ domain }: { domain: Domain }) {
  const jobs = activeJobs(domain);
  return (
    <tr data-domain={domain.name}>
      <th scope="row">
        <a href={domainHref(domain.name)}>{domain.name}</a>
      </th>
      <td>
        <span class={`state state-${domain.state.replace(/\s+/g, "-")}`}>{domain.state}</span>
      </td>
      <td>{diskSummary(domain.disks)}</td>
      <td>{jobs.map((j) => <JobBadge job={j} />)}</td>
    </tr>
  );
}

/** `2: vda qcow2 ×3, vdb raw ×1` — count, then the first disks' target, format and layers. Pure. */
export function diskSummary(disks: readonly Disk[]): string {
  if (disks.length === 0) return "none";
  const named = disks.slice(0, DISKS_SHOWN).map((d) =>
    `${d.target} ${d.format ?? "?"} ×${d.chain.length}`
  );
  const more = disks.length > DISKS_SHOWN ? `, +${disks.length - DISKS_SHOWN}` : "";
  return `${disks.length}: ${named.join(", ")}${more}`;
}

/** A running job in a row: type, disk and percent. */
function JobBadge({ job }: { job: Job }) {
  return (
    <span class={`badge badge-job badge-${job.phase}`}>
      {job.type} {job.target} {job.phase === "ready" ? "ready" : `${job.percent}%`}
    </span>
  );
}
