/**
 * The all-hosts page: a banner per host that does not answer (what failed, since when, next
 * retry), every host's domains in one list with a host column, and the jobs running now on all
 * hosts. Pure.
 *
 * @module
 */
import type { HostOverview } from "../server/hosts/overview.ts";
import type { HostStatus } from "../server/hosts/model.ts";
import type { Job } from "../server/jobs/model.ts";
import { Layout, type LayoutSession } from "./layout.tsx";
import { Banner } from "./banner.tsx";
import { diskSummary } from "./domain_list.tsx";
import { formatUtc } from "../server/text/utc.ts";

/** The path prefix of a host's pages: `""` for the default host, `/hosts/NAME` otherwise. Pure. */
export function hostPrefix(host: { name: string; isDefault: boolean }): string {
  return host.isDefault ? "" : `/hosts/${encodeURIComponent(host.name)}`;
}

/** A domain's page on its host. Pure. */
export function hostDomainHref(host: { name: string; isDefault: boolean }, domain: string): string {
  return `${hostPrefix(host)}/domains/${encodeURIComponent(domain)}`;
}

/** What a banner needs of a host. */
export interface HostBannerItem {
  name: string;
  uri: string;
  status: HostStatus;
  /** Why the last read failed, when it did. */
  problem: string | null;
  /** Its domains, or null when the last read failed. */
  domains?: readonly unknown[] | null;
}

/** The banner sentence of a host that does not answer. Pure. */
export function hostProblemText(host: HostBannerItem): string {
  const s = host.status;
  const what = s.lastError ?? host.problem ?? "no answer";
  const since = s.since ? ` Unreachable since ${formatUtc(s.since)}.` : "";
  const retry = s.nextRetryAt ? ` Next retry at ${formatUtc(s.nextRetryAt)}.` : "";
  return `${what}.${since}${retry}`.replace(/\.\./g, ".");
}

/** Banners for the hosts that did not answer (each host its own). */
export function HostBanners({ hosts }: { hosts: readonly HostBannerItem[] }) {
  return (
    <>
      {hosts.filter((h) => h.domains === null || !h.status.reachable).map((h) => (
        <div data-host-banner={h.name}>
          <Banner
            kind="error"
            title={`Host ${h.name} (${h.uri}) is not answering.`}
            message={hostProblemText(h)}
            hint="The other hosts are not affected; this one is retried with backoff."
          />
        </div>
      ))}
    </>
  );
}

/** Props of {@link HostsPage}. */
export interface HostsPageProps {
  uri: string;
  session: LayoutSession | null;
  hosts: readonly HostOverview[];
}

/** `GET /hosts`. */
export function HostsPage(props: HostsPageProps) {
  const jobs = props.hosts.flatMap((h) => h.jobs.map((job) => ({ host: h, job })));
  return (
    <Layout
      title="blockboard: all hosts"
      uri={props.uri}
      session={props.session}
      banners={<HostBanners hosts={props.hosts} />}
    >
      <h1>All hosts</h1>
      <nav class="host-switcher" aria-label="Hosts">
        Hosts: {props.hosts.map((h) => (
          <a href={hostPrefix(h) || "/"} data-host={h.name}>
            {h.name}
            {h.domains === null ? " (down)" : ` (${h.domains.length})`}
          </a>
        ))}
      </nav>
      <section id="all-jobs" aria-labelledby="all-jobs-title">
        <h2 id="all-jobs-title">Jobs running now on all hosts ({jobs.length})</h2>
        {jobs.length === 0 ? <p>No block job is running.</p> : (
          <ul class="jobs-all">
            {jobs.map(({ host, job }) => <JobLine host={host} job={job} />)}
          </ul>
        )}
      </section>
      <section aria-labelledby="all-domains-title">
        <h2 id="all-domains-title">Domains on all hosts</h2>
        <table class="domain-table" id="all-domains">
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Disks</th>
            </tr>
          </thead>
          <tbody>
            {props.hosts.flatMap((h) =>
              (h.domains ?? []).map((d) => (
                <tr data-host={h.name} data-domain={d.name}>
                  <td>{h.name}</td>
                  <th scope="row">
                    <a href={hostDomainHref(h, d.name)}>{d.name}</a>
                  </th>
                  <td>
                    <span class={`state state-${d.state.replace(/\s+/g, "-")}`}>{d.state}</span>
                  </td>
                  <td>{diskSummary(d.disks)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

function JobLine({ host, job }: { host: HostOverview; job: Job }) {
  return (
    <li data-host={host.name} data-domain={job.domain}>
      <span class="job-host">{host.name}</span>{" "}
      <a href={hostDomainHref(host, job.domain)}>{job.domain}</a> {job.type} {job.target}{" "}
      {job.phase === "ready" ? "ready" : `${job.percent}%`}
    </li>
  );
}

/** One host in the switcher. */
export interface HostNavItem {
  name: string;
  uri: string;
  isDefault: boolean;
  status: HostStatus;
}

/**
 * Above every page when there is more than one host: the host switcher (the current one marked,
 * hosts that do not answer marked down), a link to all hosts, and a banner per host that does not
 * answer, each saying what failed, since when and the next retry.
 */
export function HostNav({ hosts, current }: { hosts: readonly HostNavItem[]; current: string }) {
  return (
    <>
      <nav class="host-switcher" aria-label="Hosts">
        Host: {hosts.map((h) => (
          <a
            href={hostPrefix(h) || "/"}
            data-host={h.name}
            title={h.uri}
            aria-current={h.name === current ? "page" : undefined}
            class={h.status.reachable ? "host" : "host host-down"}
          >
            {h.name}
            {h.status.reachable ? "" : " (down)"}
          </a>
        ))} · <a href="/hosts">All hosts</a>
      </nav>
      <HostBanners hosts={hosts.map((h) => ({ ...h, problem: null }))} />
    </>
  );
}
