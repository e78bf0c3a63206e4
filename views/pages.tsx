/**
 * Whole pages. Pure.
 *
 * @module
 */
import { hostBase, hostChoices, hostHref } from "./host_base.ts";
import type { HostChoice } from "../server/env.ts";
import type { Child } from "hono/jsx";
import type { Domain } from "../server/inventory/model.ts";
import { Layout, type LayoutSession } from "./layout.tsx";
import { Banner } from "./banner.tsx";
import { type DiskExtras, DomainCard } from "./dashboard.tsx";
import type { Job } from "../server/jobs/model.ts";
import type { DashboardQuery } from "../server/inventory/filter.ts";
import { DomainResults } from "./domain_list.tsx";
import { DomainFilters } from "./dashboard_filters.tsx";
import { JobsStrip } from "./jobs_strip.tsx";

/** What went wrong talking to libvirt, for the banner. */
export interface LibvirtProblem {
  message: string;
  hint: string;
}

/** Props of {@link DashboardPage}. */
export interface DashboardPageProps {
  uri: string;
  /** Who is looking (see {@link Layout}). */
  session: LayoutSession | null;
  /** The domains to list (filtered and sorted); null when libvirt did not answer. */
  domains: readonly Domain[] | null;
  /** How many domains the host has before filtering. */
  total?: number;
  /** The filter the list shows. */
  query: DashboardQuery;
  /** Every active job on the host (the strip). */
  jobs?: readonly Job[];
  problem?: LibvirtProblem | null;
  banners?: Child;
  /** The storage-move queue, under the jobs strip. */
  moves?: Child;
}

/** `GET /`: the jobs strip, the filters and the compact list of domains. */
export function DashboardPage(props: DashboardPageProps) {
  return (
    <Layout
      title="blockboard"
      uri={props.uri}
      session={props.session}
      banners={
        <>
          {props.banners}
          {props.problem
            ? (
              <Banner
                kind="error"
                title="libvirt unavailable."
                message={props.problem.message}
                hint={props.problem.hint}
              />
            )
            : null}
        </>
      }
    >
      <h1 class="page-title">Domains</h1>
      {props.domains
        ? (
          <>
            <JobsStrip jobs={props.jobs ?? []} />
            {props.moves}
            <DomainFilters query={props.query} />
            <DomainResults domains={props.domains} total={props.total ?? props.domains.length} />
          </>
        )
        : null}
    </Layout>
  );
}

/** Props of {@link DomainPage}. */
export interface DomainPageProps {
  uri: string;
  /** Who is looking (see {@link Layout}). */
  session: LayoutSession | null;
  domain: Domain;
  extras?: DiskExtras;
  banners?: Child;
  /** The migration panel's slot (`MigrationSlot` of views/migration.tsx) when there are hosts to migrate to. */
  migration?: Child;
  /** The Move storage section, under the domain's card. */
  moves?: Child;
}

/** `GET /domains/:name`. */
export function DomainPage(props: DomainPageProps) {
  return (
    <Layout
      title={`${props.domain.name} — blockboard`}
      uri={props.uri}
      session={props.session}
      banners={props.banners}
    >
      <p class="crumbs">
        <a href={hostHref("/")}>All domains</a>
      </p>
      {/* The card's visible h2 names the domain; the page's one h1 is for assistive technology. */}
      <h1 class="visually-hidden">Domain {props.domain.name}</h1>
      <DomainCard domain={props.domain} extras={props.extras} />
      {props.migration ?? null}
      {props.moves}
    </Layout>
  );
}

/** Props of {@link ErrorPage}. */
export interface ErrorPageProps {
  uri: string;
  /** Who is looking (see {@link Layout}). */
  session: LayoutSession | null;
  status: number;
  title: string;
  message: string;
  /** Shown under the host switcher (the banner of a host that does not answer). */
  banner?: Child;
}

/**
 * A page for 4xx/5xx on HTML routes. On a host's pages (`/hosts/NAME/…`) the header names that
 * host's URI and the host switcher stays, so a host that does not answer (503) leaves a way to the
 * others; its "back" link goes to all hosts rather than to the failing host's own dashboard.
 */
export function ErrorPage(props: ErrorPageProps) {
  const choices = hostChoices();
  const base = hostBase();
  const here = choices.find((h) => h.href === (base || "/"));
  const hostDown = props.status === 503 && base !== "";
  return (
    <Layout
      title={`${props.title} — blockboard`}
      uri={here?.uri ?? props.uri}
      session={props.session}
      banners={
        <>
          {choices.length > 1 ? <ErrorHostSwitcher hosts={choices} current={here} /> : null}
          {props.banner ?? null}
        </>
      }
    >
      <section class="error-page">
        <h1>
          {props.status} {props.title}
        </h1>
        <p class="error-message">{props.message}</p>
        <p>
          {hostDown
            ? <a href="/hosts">See all hosts</a>
            : <a href={hostHref("/")}>Back to all domains</a>}
        </p>
      </section>
    </Layout>
  );
}

/** The host switcher of an error page: links only (the hosts' status is not at hand there). */
function ErrorHostSwitcher(props: { hosts: readonly HostChoice[]; current?: HostChoice }) {
  return (
    <nav class="host-switcher" aria-label="Hosts">
      Host: {props.hosts.map((h) => (
        <a
          href={h.href}
          data-host={h.name}
          title={h.uri}
          aria-current={h === props.current ? "page" : undefined}
        >
          {h.name}
        </a>
      ))} · <a href="/hosts">All hosts</a>
    </nav>
  );
}
