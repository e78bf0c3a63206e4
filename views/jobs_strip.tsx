/**
 * "Jobs running now": every active block job on the host (domain, disk, type, phase, percent),
 * from the job monitor's memory, each linking to its domain's page. It asks for itself again
 * every 2 s (htmx load polling: the answer is the next strip, never stacked requests). Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import type { Job } from "../server/jobs/model.ts";
import { domainHref } from "./dashboard.tsx";
import { jobNotifyData, NotifyButton } from "./job_notify.tsx";
import { jobPace } from "./job_pace.ts";

/** Element id of the strip (the server answers a request targeting it with the strip alone). */
export const JOBS_STRIP_ID = "jobs-strip";

/** Rate and ETA in the job card's words (see `job_pace.ts`). */
function StripPace({ job }: { job: Job }) {
  const pace = jobPace(job);
  return (
    <>
      {pace.rate === null ? null : <span class="strip-rate">{pace.rate}</span>}
      {pace.eta === null ? null : <span class="strip-eta">{pace.eta}</span>}
    </>
  );
}

/** The strip. */
export function JobsStrip({ jobs }: { jobs: readonly Job[] }) {
  return (
    <section
      id={JOBS_STRIP_ID}
      class="jobs-strip"
      aria-labelledby="jobs-strip-title"
      hx-get={hostHref("/")}
      hx-trigger="load delay:2s"
      hx-swap="outerHTML"
    >
      <h2 id="jobs-strip-title" class="jobs-strip-title">Jobs running now</h2>
      {jobs.length === 0 ? <p class="muted">No block job is running.</p> : (
        <ul class="strip-jobs">
          {jobs.map((j) => (
            <li
              class="strip-job"
              data-uuid={j.uuid}
              data-target={j.target}
              data-phase={j.phase}
              {...jobNotifyData(j)}
            >
              <a href={domainHref(j.domain)}>{j.domain}</a>
              <span class="strip-disk">{j.target}</span>
              <span class="tag">{j.type}</span>
              <span class={`badge badge-${j.phase}`}>{j.phase}</span>
              <progress max="100" value={String(j.percent)} aria-label={`${j.domain} ${j.target}`}>
              </progress>
              <span class="strip-percent">{j.percent}%</span>
              <StripPace job={j} />
              <NotifyButton job={j} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
