/**
 * A domain's card (every disk, every backing chain, the job views under each disk), shown on the
 * domain's page. Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import type { Child } from "hono/jsx";
import type { Disk, Domain } from "../server/inventory/model.ts";
import { Chain } from "./chain.tsx";
import { isActivePhase } from "../server/jobs/model.ts";

/** URL path of a domain's page; names may hold any character but `/`. */
export function domainHref(name: string): string {
  return hostHref(`/domains/${encodeURIComponent(name)}`);
}

/** Renders what sits under a disk (its job, its actions); supplied by the job views. */
export type DiskExtras = (domain: Domain, disk: Disk) => Child;

/** Props of {@link DomainCard}. */
export interface DomainCardProps {
  domain: Domain;
  extras?: DiskExtras;
}

/** One domain with its disks. */
export function DomainCard({ domain, extras }: DomainCardProps) {
  const stateClass = `state state-${domain.state.replace(/\s+/g, "-")}`;
  return (
    <section class="domain" data-domain={domain.name} data-uuid={domain.uuid}>
      <header class="domain-head">
        <h2 class="domain-name">
          <a href={domainHref(domain.name)}>{domain.name}</a>
        </h2>
        <span class={stateClass}>{domain.state}</span>
        <span
          class="tag"
          title={domain.persistent ? "defined: survives shutdown" : "exists only while running"}
        >
          {domain.persistent ? "persistent" : "transient"}
        </span>
        <span class="uuid muted">{domain.uuid}</span>
      </header>
      {domain.disks.length === 0
        ? <p class="muted">No disks</p>
        : domain.disks.map((disk) => <DiskRow domain={domain} disk={disk} extras={extras} />)}
    </section>
  );
}

/** Props of {@link DiskRow}. */
export interface DiskRowProps {
  domain: Domain;
  disk: Disk;
  extras?: DiskExtras;
  /** Sent out of band (the change feed): replaces the disk already on the page. */
  oob?: boolean;
}

/** One disk: identity, warnings, chain, then job and actions. */
export function DiskRow({ domain, disk, extras, oob }: DiskRowProps) {
  const job = disk.job;
  const active = job !== null && isActivePhase(job.phase);
  return (
    <article
      class="disk"
      data-target={disk.target}
      id={`disk-${domain.uuid}-${disk.target}`}
      hx-swap-oob={oob ? "outerHTML" : undefined}
    >
      <header class="disk-head">
        <h3 class="disk-target">{disk.target}</h3>
        <span class="tag">{disk.device}</span>
        <span class="tag">{disk.type}</span>
        <span class={`fmt ${disk.format ? "" : "fmt-unknown"}`}>
          {disk.format ?? "format unknown"}
        </span>
        <span class="muted">
          {disk.chain.length} layer{disk.chain.length === 1 ? "" : "s"}
        </span>
        {active
          ? (
            <span class={`badge badge-job badge-${job.phase}`}>
              {job.type} {job.phase}
            </span>
          )
          : null}
      </header>
      {disk.warnings.map((w) => <p class="warning">{w}</p>)}
      <Chain chain={disk.chain} />
      {domain.state !== "running" && disk.chain.length === 1 && disk.format !== "raw"
        ? (
          <p class="muted chain-note">
            The domain is not running: libvirt shows the backing layers below the active one once it
            starts (blockboard does not open image files to guess them).
          </p>
        )
        : null}
      {disk.mirror
        ? (
          <p class="mirror">
            mirroring to <code>{disk.mirror.path}</code> ({disk.mirror.format ?? "format unknown"})
            {disk.mirror.ready === "yes" ? ", ready" : ""}
          </p>
        )
        : null}
      {extras ? extras(domain, disk) : null}
    </article>
  );
}
