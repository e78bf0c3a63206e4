/**
 * A domain's migration panel: the "Migrate" form (target host, full or incremental storage copy,
 * bandwidth) for a running domain, and while a migration runs its progress card, polled once a
 * second (phase, data remaining, rate, ETA, dirty rate) with an Abort button. Pure.
 *
 * @module
 */
import type { Migration } from "../server/migrations/model.ts";
import { isActiveMigration } from "../server/migrations/model.ts";
import { formatBytes, formatDuration, formatRate } from "./format.ts";
import { formatUtc } from "../server/text/utc.ts";

/** `/ui/hosts/HOST/domains/NAME` (the name URL-encoded). Pure. */
export function migrationUiPath(host: string, domain: string): string {
  return `/ui/hosts/${encodeURIComponent(host)}/domains/${encodeURIComponent(domain)}`;
}

/** Element id of a domain's migration panel (UUIDs are the same on both hosts). */
export function migrationPanelId(uuid: string): string {
  return `migration-${uuid}`;
}

/** A host the form offers as a target. */
export interface TargetHost {
  name: string;
  reachable: boolean;
  /** Why it does not answer (its last failure), shown beside it while unreachable. */
  reason?: string | null;
}

/** Props of {@link MigrationPanel}. */
export interface MigrationPanelProps {
  /** The host whose page this is, and the domain as it is named there. */
  host: string;
  domain: { name: string; uuid: string; state: string };
  /** The migration to show (running, or the last one), or null. */
  migration: Migration | null;
  /** The other hosts of the dashboard. */
  targets: readonly TargetHost[];
  /** Can the viewer start and abort (operator role)? */
  canControl: boolean;
  /** An error from the last action, in a sentence. */
  notice?: string | null;
}

const PHASE_LABEL: Record<Migration["phase"], string> = {
  preparing: "preparing",
  copying: "copying",
  completed: "completed",
  failed: "failed",
  aborted: "aborted",
};

const STAGE_LABEL: Record<NonNullable<Migration["stage"]>, string> = {
  starting: "starting",
  disks: "copying disks",
  memory: "copying memory",
};

const RATE_TITLE = "bytes processed per second of the job's own clock, over whole steps of this " +
  "stage (disks, then memory): QEMU counts a throttled disk copy in steps";

/** The panel (see the module doc); it replaces itself on every poll and action. */
export function MigrationPanel(props: MigrationPanelProps) {
  const { host, domain, migration, canControl } = props;
  const ui = migrationUiPath(host, domain.name);
  const active = migration !== null && isActiveMigration(migration.phase);
  const poll = active
    ? {
      "hx-get": `${ui}/migration`,
      // Until libvirt shows the job, sooner: figures appear within a second of the start.
      "hx-trigger": migration.phase === "preparing" ? "load delay:250ms" : "load delay:1s",
      "hx-swap": "outerHTML",
    }
    : {};
  // A domain that left this host shows as "gone": its card stays, the form does not.
  const showForm = !active && canControl && domain.state === "running";
  return (
    <section
      id={migrationPanelId(domain.uuid)}
      class="migration-panel"
      aria-label={`Migration of ${domain.name}`}
      data-phase={migration?.phase ?? "none"}
      {...poll}
    >
      {migration ? <MigrationCard migration={migration} here={host} /> : null}
      {props.notice ? <p class="error-message" role="alert">{props.notice}</p> : null}
      {active && canControl
        ? (
          <button
            type="button"
            class="danger migration-abort"
            hx-post={`${ui}/migration/abort`}
            hx-confirm={abortQuestion(migration)}
            hx-target={`#${migrationPanelId(domain.uuid)}`}
            hx-swap="outerHTML"
            hx-disable="this"
          >
            Abort migration
          </button>
        )
        : null}
      {showForm ? <MigrateForm host={host} domain={domain} targets={props.targets} /> : null}
    </section>
  );
}

/** What Abort asks first, as a job's Abort does (`views/job.tsx`). Pure. */
export function abortQuestion(m: Migration): string {
  return `Abort the migration of ${m.domain} to ${m.to}? It stops copying and the domain ` +
    `keeps running on ${m.from}.`;
}

/** Props of {@link MigrationCard}. */
export interface MigrationCardProps {
  migration: Migration;
  /** The host whose page shows it. */
  here: string;
}

/** Phase, bar and figures of one migration. */
export function MigrationCard({ migration: m, here }: MigrationCardProps) {
  const active = isActiveMigration(m.phase);
  const percent = m.dataTotal > 0 ? Math.floor((m.dataProcessed * 100) / m.dataTotal) : null;
  return (
    <div class={`migration migration-${m.phase}`} data-phase={m.phase}>
      <div class="job-head">
        <strong>Migration</strong>
        <span class={`badge badge-job badge-${m.phase}`}>{PHASE_LABEL[m.phase]}</span>
        <span>
          {m.from} → {m.to}
        </span>
        <span class="muted">
          storage: {m.storage === "all" ? "full copy" : "incremental (top layer)"}
        </span>
        {m.startedBy ? <span class="muted">started by {m.startedBy}</span> : null}
      </div>
      {percent === null ? null : (
        <progress
          class="job-bar"
          max="100"
          value={String(percent)}
          aria-label={`Migration progress of domain ${m.domain}`}
        >
          {percent} %
        </progress>
      )}
      <div class="job-stats migration-stats">
        {m.stage && active ? <span class="migration-stage">{STAGE_LABEL[m.stage]}</span> : null}
        {active && m.dataTotal === 0
          // QEMU has reported no totals yet: "0 B of 0 B" would read as done.
          ? <span class="migration-remaining">starting…</span>
          : (
            <span class="migration-remaining">
              remaining {formatBytes(m.dataRemaining)} of {formatBytes(m.dataTotal)}
            </span>
          )}
        {active
          ? (
            <span class="migration-rate" title={RATE_TITLE}>
              {m.stage === "memory" ? "memory rate" : "disk rate"}{" "}
              {m.rateBytesPerSecond === null ? "measuring…" : formatRate(m.rateBytesPerSecond)}
            </span>
          )
          : null}
        {active ? <span class="migration-eta">ETA {formatDuration(m.etaSeconds)}</span> : null}
        {active
          ? (
            <span class="migration-dirty">
              dirty rate{" "}
              {m.dirtyRatePagesPerSecond === null ? "—" : `${m.dirtyRatePagesPerSecond} pages/s`}
            </span>
          )
          : null}
        <span>limit {m.bandwidthBytes > 0 ? formatRate(m.bandwidthBytes) : "none"}</span>
      </div>
      {m.message ? <p class="migration-message">{m.message}</p> : null}
      {m.phase === "completed" ? <Whereabouts migration={m} here={here} /> : null}
      <div class="job-ran">
        <span class="plan-label">Ran</span>
        <pre class="command"><code>{m.command}</code></pre>
      </div>
    </div>
  );
}

/** `/hosts/HOST/domains/NAME`: a domain's page on a host (the name URL-encoded). Pure. */
export function domainPagePath(host: string, domain: string): string {
  return `/hosts/${encodeURIComponent(host)}/domains/${encodeURIComponent(domain)}`;
}

/**
 * Where a completed migration put the domain, seen from `here`: on the source "Migrated to HOST
 * at TIME" with a link to the domain's page there; on the target "Arrived from HOST at TIME".
 */
export function Whereabouts({ migration: m, here }: MigrationCardProps) {
  const at = formatUtc(m.finishedAt);
  if (m.to === here) {
    return <p class="migration-whereabouts">Arrived from {m.from} at {at}.</p>;
  }
  return (
    <p class="migration-whereabouts">
      Migrated to <a href={domainPagePath(m.to, m.domain)}>{m.domain} on {m.to}</a> at {at}.
    </p>
  );
}

/** Props of {@link MigrateForm}. */
export interface MigrateFormProps {
  host: string;
  domain: { name: string; uuid: string };
  targets: readonly TargetHost[];
}

/** The "Migrate" form, folded away until asked for. */
export function MigrateForm({ host, domain, targets }: MigrateFormProps) {
  const ui = migrationUiPath(host, domain.name);
  // Never the host it runs on; the first other host that answers comes preselected.
  const others = targets.filter((t) => t.name !== host);
  const usable = others.filter((t) => t.reachable);
  const preselected = usable[0]?.name;
  return (
    <details class="migrate">
      <summary>Migrate…</summary>
      <form
        class="migrate-form"
        hx-post={`${ui}/migrate`}
        hx-target={`#${migrationPanelId(domain.uuid)}`}
        hx-swap="outerHTML"
      >
        <label>
          Target host
          <select name="to" required>
            {others.map((t) => (
              <option value={t.name} disabled={!t.reachable} selected={t.name === preselected}>
                {t.name}
                {t.reachable ? "" : ` (unreachable${t.reason ? `: ${t.reason}` : ""})`}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Storage</legend>
          <label>
            <input type="radio" name="storage" value="all" checked /> full copy of every layer
          </label>
          <label>
            <input type="radio" name="storage" value="inc" />{" "}
            incremental: only the top layer (the backing chain is already on the target)
          </label>
        </fieldset>
        <label>
          Bandwidth limit (MiB/s, empty for none)
          <input type="text" name="bandwidthMiB" inputmode="decimal" size={8} />
        </label>
        <button type="submit" hx-disable="this" disabled={usable.length === 0}>
          Migrate {domain.name}
        </button>
        {usable.length === 0
          ? <p class="muted">No other host answers right now.</p>
          : (
            <p class="muted">
              The domain keeps running while its disks and memory are copied; a persistent domain
              moves for good (it is undefined here once it runs on the target).
            </p>
          )}
      </form>
    </details>
  );
}

/** Props of {@link MigrationSlot}. */
export interface MigrationSlotProps {
  host: string;
  domain: { name: string; uuid: string };
}

/** What a domain's page holds until the panel has loaded (it fetches itself at once). */
export function MigrationSlot({ host, domain }: MigrationSlotProps) {
  return (
    <section
      id={migrationPanelId(domain.uuid)}
      class="migration-panel"
      hx-get={`${migrationUiPath(host, domain.name)}/migration`}
      hx-trigger="load"
      hx-swap="outerHTML"
    />
  );
}
