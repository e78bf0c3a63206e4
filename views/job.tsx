/**
 * A disk's block job as one fragment: while the job runs it polls itself (htmx load polling,
 * which waits for each answer before scheduling the next); once it ends it is rendered without
 * `hx-get`, which is how polling stops in htmx 4. Pure.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { isActivePhase, isMirrorType, type Job } from "../server/jobs/model.ts";
import { formatBytes, formatDuration } from "../server/inventory/format.ts";

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
  return `/ui/domains/${uuid}/disks/${target}`;
}

const TYPE_LABEL: Record<Job["type"], string> = {
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
}

/**
 * The job card: a polled status block and, beside it, controls that are not replaced by each
 * poll (so a half-typed bandwidth keeps its focus). When the phase changes the poll answer
 * replaces the whole disk instead (new controls; a new chain after the job ends).
 */
export function JobCard(
  { job, notice, canControl = true }: JobCardProps,
) {
  const { uuid, target } = job;
  const active = isActivePhase(job.phase);
  return (
    <div
      id={jobElementId(uuid, target)}
      class={`job job-${job.phase}`}
      data-phase={job.phase}
      data-type={job.type}
    >
      <JobStatus job={job} />
      {notice ? <p class="error-message job-notice" role="alert">{notice}</p> : null}
      {active && canControl ? <JobControls job={job} /> : null}
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
  const countsAreBytes = !(job.type === "active-commit" && job.end <= 1);
  return (
    <div
      id={jobStatusElementId(uuid, target)}
      class="job-status"
      data-phase={job.phase}
      data-percent={String(job.percent)}
      data-domain={job.domain}
      data-target={target}
      aria-live="polite"
      {...poll}
    >
      <div class="job-head">
        <strong class="job-type">{TYPE_LABEL[job.type]}</strong>
        <span class={`badge badge-job badge-${job.phase}`}>{PHASE_LABEL[job.phase]}</span>
        {job.dest
          ? (
            <span class="job-dest">
              → <code>{job.dest}</code>
            </span>
          )
          : null}
        {job.adopted
          ? (
            <span class="tag" title="started outside blockboard or before it restarted">
              adopted
            </span>
          )
          : null}
      </div>
      <progress
        class="job-bar"
        max="100"
        value={String(job.percent)}
        // Several disks can each show a bar: the name says whose it is.
        aria-label={`${TYPE_LABEL[job.type]} progress of domain ${job.domain}, disk ${target}`}
      >
        {job.percent}%
      </progress>
      <div class="job-stats">
        <span class="job-percent">{job.percent.toFixed(1)} %</span>
        {countsAreBytes
          ? (
            <span>
              {formatBytes(job.cur)} of {formatBytes(job.end)}
            </span>
          )
          : <span>{job.cur} of {job.end} (idle guest: libvirt counts abstract units)</span>}
        {active
          ? (
            <span>
              rate{" "}
              {job.rateBytesPerSecond === null ? "—" : `${formatBytes(job.rateBytesPerSecond)}/s`}
            </span>
          )
          : null}
        {job.phase === "running" ? <span>ETA {formatDuration(job.etaSeconds)}</span> : null}
        <span>elapsed {formatDuration(job.elapsedSeconds)}</span>
        <span>
          limit {job.bandwidthBytes > 0 ? `${formatBytes(job.bandwidthBytes)}/s` : "none"}
        </span>
      </div>
      {mirror && active && job.converging === false
        ? (
          <p class="warning job-warning">
            Not converging: the guest writes about as fast as the job copies. Raise or remove the
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
      {job.outcome ? <p class="job-outcome">{job.outcome}</p> : null}
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
