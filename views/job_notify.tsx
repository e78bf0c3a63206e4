/**
 * What the browser's job notifications (`static/notify.js`) read from the page: every element
 * that shows a job's phase carries the same data attributes ({@link jobNotifyData}), and the
 * controls that choose what to be told about. The buttons are rendered hidden: the script shows
 * them only where the Notification API exists. Pure.
 *
 * @module
 */
import type { Job } from "../server/jobs/model.ts";

/** Which disk a job is on: `uuid/target`. */
export function jobKey(job: Pick<Job, "uuid" | "target">): string {
  return `${job.uuid}/${job.target}`;
}

/**
 * The data attributes of an element showing `job`'s phase: the disk, when the job started (one
 * disk has several jobs over time), the phase, and the words a notification uses.
 */
export function jobNotifyData(job: Job): Record<string, string> {
  return {
    "data-job-key": jobKey(job),
    "data-job-started": job.startedAt,
    "data-job-phase": job.phase,
    "data-job-domain": job.domain,
    "data-job-target": job.target,
    "data-job-type": job.type,
  };
}

/** What "Notify me" watches: this run of a job on its disk, `uuid/target@started`. */
export function watchedJobId(job: Job): string {
  return `${jobKey(job)}@${job.startedAt}`;
}

/** "Notify me": watch this job until it ends. */
export function NotifyButton({ job }: { job: Job }) {
  return (
    <button
      type="button"
      class="btn notify-job"
      data-notify-job={watchedJobId(job)}
      aria-pressed="false"
      title="Tell me when this job is ready, completes or fails, also when this tab is in the background"
      hidden
    >
      Notify me
    </button>
  );
}

/** The global choice: a notification for any job, kept in this browser. */
export function NotifyAllButton() {
  return (
    <button
      type="button"
      class="notify-all"
      data-notify-all=""
      aria-pressed="false"
      title="Tell me when any job is ready, completes or fails (this browser only)"
      hidden
    >
      Notify for any job
    </button>
  );
}

/**
 * The phases of the jobs a change-feed answer is about, as hidden marks inside the feed element:
 * on pages without those disks' cards (the dashboard) the notifications still learn that a job
 * ended.
 */
export function JobPhases({ jobs }: { jobs: readonly Job[] }) {
  return (
    <>
      {jobs.map((job) => <span class="job-phase-mark" hidden {...jobNotifyData(job)}></span>)}
    </>
  );
}
