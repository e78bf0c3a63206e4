/**
 * The page's shared change feed: one element per page that polls
 * `/ui/jobs/feed?since=N&chains=M` every 500 ms (htmx load polling, so requests never stack; twice
 * a second leaves room inside the 2 s promise) and is answered from memory with the job slots of
 * disks whose job started, changed or ended since monitor generation N, and the whole disks of
 * domains whose chains changed since inventory generation M (a snapshot taken with plain virsh),
 * swapped out of band. Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import type { Child } from "hono/jsx";
import type { Job } from "../server/jobs/model.ts";
import { JobPhases } from "./job_notify.tsx";

/** URL of the feed after monitor `generation` and inventory generation `chains`. */
export function feedUrl(generation: number, chains: number): string {
  return hostHref(`/ui/jobs/feed?since=${generation}&chains=${chains}`);
}

/** Props of {@link JobFeed}. */
export interface JobFeedProps {
  /** The monitor generation the page (or the last answer) reflects. */
  generation: number;
  /** The inventory generation (chains) the page reflects. */
  chains: number;
  /** Out-of-band job slots sent along with the next poller. */
  children?: Child;
  /** The jobs this answer is about, marked inside the poller for the notifications. */
  jobs?: readonly Job[];
}

/** The poller (and, in a feed answer, the changed slots after it). */
export function JobFeed({ generation, chains, children, jobs = [] }: JobFeedProps) {
  return (
    <>
      <div
        id="job-feed"
        class="job-feed"
        data-generation={String(generation)}
        hx-get={feedUrl(generation, chains)}
        hx-trigger="load delay:500ms"
        hx-swap="outerHTML"
        hidden
      >
        <JobPhases jobs={jobs} />
      </div>
      {children}
    </>
  );
}
