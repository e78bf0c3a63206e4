/**
 * What sits under a disk's chain: its job slot (the live or last finished job, or the last one
 * the history remembers, and the recent jobs) and the start forms. Pure.
 *
 * @module
 */
import type { Disk, Domain } from "../server/inventory/model.ts";
import { type HistoryEntry, isJobRecord } from "../server/jobs/history_entries.ts";
import { isActivePhase, type Job } from "../server/jobs/model.ts";
import type { DiskExtras } from "./dashboard.tsx";
import { JobCard } from "./job.tsx";
import { StartJobForms } from "./job_forms.tsx";
import { RecentJobs, StoredOutcome } from "./job_history.tsx";

/** Options of {@link diskExtras}. */
export interface DiskExtrasOptions {
  /** The viewer may start and control jobs. */
  canControl: boolean;
  /** Directories copies may go to. */
  storageRoots?: readonly string[];
  /** The copy destination to offer for a disk (see server/routes/copy_dest.ts). */
  copyDest?: (domain: Domain, disk: Disk) => string | undefined;
  /** The command a Start just ran, shown on the new job card. */
  ran?: (domain: Domain, disk: Disk) => string | null;
  /** An error to show on the disk's job card. */
  notice?: (domain: Domain, disk: Disk) => string | null;
  /** The disk's recent finished jobs, moves and migrations, newest first (from the job history). */
  history?: (uuid: string, target: string) => HistoryEntry[];
  /** A host blockboard cannot stat files on: its running pools (see StartJobForms). */
  volumePools?: readonly string[] | null;
}

/** Element id of a disk's job slot (replaced out of band by the change feed). */
export function jobSlotId(uuid: string, target: string): string {
  return `jobslot-${uuid}-${target}`;
}

/** Props of {@link JobSlot}. */
export interface JobSlotProps {
  uuid: string;
  target: string;
  job: Job | null;
  history: readonly HistoryEntry[];
  canControl: boolean;
  notice?: string | null;
  /** The command a Start just ran, shown on the new job card. */
  ran?: string | null;
  /** Render with `hx-swap-oob` (in a change-feed answer). */
  oob?: boolean;
}

/**
 * The disk's job card (or the stored outcome of its last job, unless a move ended after it: the
 * Move storage section shows that one) and its recent jobs and moves.
 */
export function JobSlot(props: JobSlotProps) {
  const { job, history } = props;
  const last = history[0];
  return (
    <div
      class="job-slot"
      id={jobSlotId(props.uuid, props.target)}
      {...(props.oob ? { "hx-swap-oob": "true" } : {})}
    >
      {job
        ? (
          <JobCard
            job={job}
            notice={props.notice ?? null}
            ran={props.ran ?? null}
            canControl={props.canControl}
          />
        )
        : last && isJobRecord(last)
        ? <StoredOutcome record={last} canControl={props.canControl} />
        : null}
      <RecentJobs records={history} />
    </div>
  );
}

/** Builds the {@link DiskExtras} renderer for pages and disk fragments. */
export function diskExtras(options: DiskExtrasOptions): DiskExtras {
  return (domain: Domain, disk: Disk) => {
    const job = disk.job;
    const active = job !== null && isActivePhase(job.phase);
    return (
      <div class="disk-extras">
        <JobSlot
          uuid={domain.uuid}
          target={disk.target}
          job={job}
          history={options.history?.(domain.uuid, disk.target) ?? []}
          canControl={options.canControl}
          notice={options.notice?.(domain, disk) ?? null}
          ran={options.ran?.(domain, disk) ?? null}
        />
        {!active && options.canControl
          ? (
            <StartJobForms
              domain={domain}
              disk={disk}
              storageRoots={options.storageRoots}
              copyDest={options.copyDest?.(domain, disk)}
              volumePools={options.volumePools}
            />
          )
          : null}
      </div>
    );
  };
}
