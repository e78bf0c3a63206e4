/**
 * A disk's block job as one fragment: while the job runs it polls itself (htmx load polling,
 * which waits for each answer before scheduling the next); once it ends it is rendered without
 * `hx-get`, which is how polling stops in htmx 4. Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import type { Child } from "hono/jsx";
import { isActivePhase, isMirrorType, type Job, type JobOptions } from "../server/jobs/model.ts";
import { formatBytes, formatDuration, formatPercent, formatRate } from "./format.ts";
import { jobPace } from "./job_pace.ts";
import { LeftChain } from "./cleanup.tsx";
import { jobNotifyData, NotifyButton } from "./job_notify.tsx";
import { JobOwnerTag, OwnedJobNote } from "./job_owner.tsx";

/** Element id of a disk's job fragment. */
export function jobElementId(uuid: string, target: string): string {
  return `job-${uuid}-${target}`;
}

/** Element id of a disk's article. */
export function diskElementId(uuid: string, target: string): string {
  return `disk-${uuid}-${target}`;
}

/** URL prefix of the browser (HTML) endpoints of a disk. */
export function diskUiPath(uuid: string, target: string): string {
  return hostHref(`/ui/domains/${uuid}/disks/${target}`);
}

/** How a job's type is written on its card ("Copy", "Active commit"). */
export const TYPE_LABEL: Readonly<Record<Job["type"], string>> = {
  pull: "Pull",
  copy: "Copy",
  commit: "Commit",
  "active-commit": "Active commit",
  backup: "Backup",
  unknown: "Block job",
};

const PHASE_LABEL: Record<Job["phase"], string> = {
  running: "running",
  ready: "ready — mirroring",
  completed: "completed",
  pivoted: "pivoted",
  "kept-copy": "kept copy",
  canceled: "canceled",
  failed: "failed",
  interrupted: "interrupted",
  unknown: "outcome unknown",
};

/** Phases whose job moved all its data: the last sample may predate the end, the result does not. */
const FINISHED_WHOLE: ReadonlySet<Job["phase"]> = new Set(["completed", "pivoted", "kept-copy"]);

/** What a job's card says about its progress. */
export interface JobFigures {
  /** Value of the progress bar, or null for no bar (a job that stopped part-way). */
  bar: number | null;
  /** The percentage as text (`37.9 %`). */
  percent: string;
  /** Amount done, in words (`24 MiB of 64 MiB`, `stopped at 37.9 %: 24 MiB of 64 MiB`). */
  amount: string;
}

/**
 * The figures a card shows, honest about the end: a job that completed (or pivoted, or kept its
 * synchronized copy) moved everything, so it reads 100 % whatever the last sample said; one that
 * was canceled, failed, interrupted or vanished gets no bar, only the last sample in words. Pure.
 */
export function jobFigures(job: Job): JobFigures {
  // An idle active commit reports abstract units (cur/end 0 or 1), not bytes.
  const bytes = !(job.type === "active-commit" && job.end <= 1);
  const amount = (cur: number, end: number) =>
    bytes
      ? `${formatBytes(cur)} of ${formatBytes(end)}`
      : `${cur} of ${end} (idle guest: libvirt counts abstract units)`;
  if (isActivePhase(job.phase)) {
    return {
      bar: job.percent,
      percent: formatPercent(job.percent),
      amount: amount(job.cur, job.end),
    };
  }
  if (FINISHED_WHOLE.has(job.phase)) {
    const end = Math.max(job.cur, job.end);
    return {
      bar: 100,
      percent: formatPercent(100),
      amount: bytes && end > 0 ? `${formatBytes(end)} of ${formatBytes(end)}` : "all of it",
    };
  }
  const percent = formatPercent(job.percent);
  return {
    bar: null,
    percent,
    amount: `stopped at ${percent}: ${amount(job.cur, job.end)} when last sampled`,
  };
}

/**
 * The options a job started with, in words (`synchronous writes`, `granularity 64 KiB`,
 * `buffer 1 MiB`, `keep relative`, `delete committed layers`); empty for none. Pure.
 */
export function jobOptionWords(options: JobOptions | undefined): string[] {
  if (!options) return [];
  const words: string[] = [];
  if (options.synchronousWrites) words.push("synchronous writes");
  if (options.granularity !== undefined) {
    words.push(`granularity ${formatBytes(options.granularity)}`);
  }
  if (options.bufSize !== undefined) words.push(`buffer ${formatBytes(options.bufSize)}`);
  if (options.keepRelative) words.push("keep relative");
  if (options.delete) words.push("delete committed layers");
  return words;
}

/** Element id of a job's polled status block. */
export function jobStatusElementId(uuid: string, target: string): string {
  return `jobstatus-${uuid}-${target}`;
}

/** Props of {@link JobCard}. */
export interface JobCardProps {
  /** The job; it names its domain (UUID and name) and disk. */
  job: Job;
  /** An error from the last action, shown above the controls. */
  notice?: string | null;
  /** Can the viewer control jobs (operator role)? */
  canControl?: boolean;
  /**
   * The exact command a Start just ran, when the job does not carry it (the job's own
   * `command` is shown otherwise, on every redraw).
   */
  ran?: string | null;
}

/**
 * The job card: a polled status block and, beside it, controls that are not replaced by each
 * poll (so a half-typed bandwidth keeps its focus). When the phase changes the poll answer
 * replaces the whole disk instead (new controls; a new chain after the job ends).
 */
export function JobCard(
  { job, notice, canControl = true, ran }: JobCardProps,
) {
  const { uuid, target } = job;
  const active = isActivePhase(job.phase);
  const command = ran ?? job.command ?? null;
  return (
    <div
      id={jobElementId(uuid, target)}
      class={`job job-${job.phase}`}
      data-phase={job.phase}
      data-type={job.type}
    >
      <JobStatus job={job} />
      {command
        ? (
          <div class="job-ran">
            <span class="plan-label">Ran</span>
            <pre class="command"><code>{command}</code></pre>
          </div>
        )
        : null}
      {notice ? <p class="error-message job-notice" role="alert">{notice}</p> : null}
      {active ? <NotifyButton job={job} /> : null}
      {job.owner ? <OwnedJobNote owner={job.owner} /> : null}
      {active && canControl && !job.owner ? <JobControls job={job} /> : null}
      {!active && job.leftChain && !job.owner
        ? (
          <LeftChain
            uuid={uuid}
            target={target}
            files={job.leftChain}
            cleaned={job.cleaned}
            canControl={canControl}
          />
        )
        : null}
    </div>
  );
}

/** Props of {@link JobStatus}. */
export interface JobStatusProps {
  job: Job;
}

/** Phase, bar and figures; polls itself while the job is active. */
export function JobStatus({ job }: JobStatusProps) {
  const { uuid, target } = job;
  const active = isActivePhase(job.phase);
  const ui = diskUiPath(uuid, target);
  const poll = active
    ? {
      "hx-get": `${ui}/job/status?seen=${job.phase}`,
      // `bb:refresh` comes from the live event log (a `ready` event), so Pivot lights up at once.
      "hx-trigger": "load delay:1s, bb:refresh",
      "hx-swap": "outerHTML",
      "data-refresh-on-event": "",
    }
    : {};
  const mirror = isMirrorType(job.type);
  const figures = jobFigures(job);
  const pace = jobPace(job);
  const optionWords = jobOptionWords(job.options);
  // An owned job's end is its operation's outcome (a migration's abort fails its mirrors).
  const ownedEnd = !active && job.owner ? job.owner.kind : null;
  return (
    <div
      id={jobStatusElementId(uuid, target)}
      class="job-status"
      data-phase={job.phase}
      data-percent={String(figures.bar ?? job.percent)}
      data-domain={job.domain}
      data-target={target}
      aria-live="polite"
      {...jobNotifyData(job)}
      {...poll}
    >
      <div class="job-head">
        <strong class="job-type">{TYPE_LABEL[job.type]}</strong>
        {ownedEnd
          ? <span class="badge badge-job badge-owned-end">ended with the {ownedEnd}</span>
          : <span class={`badge badge-job badge-${job.phase}`}>{PHASE_LABEL[job.phase]}</span>}
        {job.dest
          ? (
            <span class="job-dest">
              → <code>{job.dest}</code>
            </span>
          )
          : null}
        {job.owner ? <JobOwnerTag job={job} owner={job.owner} /> : null}
        {job.adopted && !job.owner
          ? (
            <span class="tag" title="started outside blockboard or before it restarted">
              adopted
            </span>
          )
          : null}
        {job.startedBy && !job.owner
          ? <span class="job-by muted">started by {job.startedBy}</span>
          : null}
      </div>
      {figures.bar === null ? null : (
        <progress
          class="job-bar"
          max="100"
          value={String(figures.bar)}
          // Several disks can each show a bar: the name says whose it is.
          aria-label={`${TYPE_LABEL[job.type]} progress of domain ${job.domain}, disk ${target}`}
        >
          {figures.percent}
        </progress>
      )}
      <div class="job-stats">
        {figures.bar === null ? null : <span class="job-percent">{figures.percent}</span>}
        <span class="job-amount">{figures.amount}</span>
        {pace.rate === null ? null : <span class="job-rate">{pace.rate}</span>}
        {pace.eta === null ? null : <span class="job-eta">{pace.eta}</span>}
        <span>{active ? "elapsed" : "ran for"} {formatDuration(job.elapsedSeconds)}</span>
        {active || job.bandwidthBytes > 0
          ? (
            <span>
              limit {job.bandwidthBytes > 0 ? formatRate(job.bandwidthBytes) : "none"}
            </span>
          )
          : null}
      </div>
      {optionWords.length
        ? <p class="job-options muted">options: {optionWords.join(", ")}</p>
        : null}
      {active && job.notConverging
        ? (
          <p class="warning job-warning job-not-converging" role="alert">
            {job.notConverging}
          </p>
        )
        : mirror && active && job.converging === false
        ? (
          <p class="warning job-warning">
            Falling behind: the guest writes about as fast as the job copies. Raise or remove the
            bandwidth limit, or reduce the guest's writes.
          </p>
        )
        : null}
      {job.phase === "ready"
        ? (
          <p class="job-ready">
            Synchronized: the {job.type === "copy" ? "copy" : "base"}{" "}
            receives every write. You choose when to finish.
          </p>
        )
        : null}
      {job.outcome && !ownedEnd ? <p class="job-outcome">{job.outcome}</p> : null}
      {job.message ? <p class="job-message">{job.message}</p> : null}
    </div>
  );
}

/** Pivot / keep copy / abort buttons and the bandwidth form of an active job. */
function JobControls({ job }: { job: Job }) {
  const { uuid, target } = job;
  const ui = diskUiPath(uuid, target);
  const disk = `#${diskElementId(uuid, target)}`;
  const mirror = isMirrorType(job.type);
  const ready = job.phase === "ready";
  const jobSel = `#${jobElementId(uuid, target)}`;
  return (
    <div class="job-controls">
      {mirror
        ? (
          <ControlButton
            action="pivot"
            ui={ui}
            disk={disk}
            primary
            disabled={!ready}
            title={ready
              ? "switch the domain to the new image now"
              : "enabled once the job is ready"}
          >
            Pivot now
          </ControlButton>
        )
        : null}
      {mirror
        ? (
          <ControlButton
            action="keep"
            ui={ui}
            disk={disk}
            disabled={!ready}
            title="end the job; the copy stays a consistent image of this moment, the domain stays on its source"
          >
            {job.type === "copy" ? "Keep copy, stay on source" : "Stop, stay on top layer"}
          </ControlButton>
        )
        : null}
      <ControlButton
        action="abort"
        ui={ui}
        disk={disk}
        danger
        confirm={mirror && !ready
          ? "Abort now? The copy is not synchronized yet and will be useless."
          : "Abort this job?"}
      >
        Abort
      </ControlButton>
      <form
        class="bandwidth-form"
        hx-post={`${ui}/job/bandwidth`}
        hx-target={jobSel}
        hx-swap="outerHTML"
        hx-disable="find button"
      >
        <label>
          limit MiB/s{" "}
          <input
            name="bandwidthMiB"
            type="number"
            min="0"
            step="any"
            inputmode="decimal"
            value={job.bandwidthBytes ? String(job.bandwidthBytes / 1048576) : "0"}
            aria-label="bandwidth limit in MiB/s, 0 for none"
          />
        </label>
        <button type="submit" class="btn">Set</button>
      </form>
    </div>
  );
}

/** Props of {@link ControlButton}. */
interface ControlButtonProps {
  /** `pivot`, `keep` or `abort`: the last part of the URL. */
  action: string;
  ui: string;
  /** Selector of the disk the answer replaces. */
  disk: string;
  primary?: boolean;
  danger?: boolean;
  disabled?: boolean;
  title?: string;
  confirm?: string;
  children?: Child;
}

/** One job-control button: posts, disables itself while the request runs, redraws the disk. */
function ControlButton(props: ControlButtonProps) {
  const kind = props.primary ? " btn-primary" : props.danger ? " btn-danger" : "";
  return (
    <button
      type="button"
      class={`btn${kind}`}
      data-action={props.action}
      hx-post={`${props.ui}/job/${props.action}`}
      hx-target={props.disk}
      hx-swap="outerHTML"
      hx-disable="this"
      disabled={props.disabled ?? false}
      title={props.title}
      hx-confirm={props.confirm}
    >
      {props.children}
    </button>
  );
}
