/**
 * A disk's recent jobs and storage moves (from the job history and the moves in the database),
 * and the outcome card of the last job when the monitor no longer remembers it (after a
 * restart). Pure.
 *
 * @module
 */
import type { JobRecord } from "../server/jobs/history.ts";
import { isMigrationRecord } from "../server/migrations/job_history.ts";
import { isMoveEntry } from "../server/moves/history.ts";
import { type HistoryEntry, isJobRecord } from "../server/jobs/history_entries.ts";
import { formatBytes } from "./format.ts";
import { LeftChain } from "./cleanup.tsx";
import { TYPE_LABEL } from "./job.tsx";

/** Props of {@link RecentJobs}. */
export interface RecentJobsProps {
  records: readonly HistoryEntry[];
}

/** The last jobs and moves of a disk, newest first; nothing when there are none. */
export function RecentJobs({ records }: RecentJobsProps) {
  if (records.length === 0) return null;
  return (
    <details class="recent-jobs">
      <summary>Recent jobs ({records.length})</summary>
      <table class="recent-jobs-table">
        <thead>
          <tr>
            <th>job</th>
            <th>outcome</th>
            <th>started by</th>
            <th>started</th>
            <th>ended</th>
            <th>done</th>
            <th>limit</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr
              data-phase={r.phase}
              {...(isMigrationRecord(r)
                ? { "data-migration": r.id }
                : isMoveEntry(r)
                ? { "data-move": r.id }
                : { "data-history-id": String(r.id) })}
            >
              <td>{isMigrationRecord(r) ? `migration ${r.from} → ${r.to}` : r.type}</td>
              <td title={isJobRecord(r) ? r.outcome : r.message || r.outcome}>
                {r.phase}
                {isMoveEntry(r) && r.phase !== "done" && r.message
                  ? <span class="muted">: {r.message}</span>
                  : null}
              </td>
              <td>{r.startedBy}</td>
              <td>
                <time datetime={r.startedAt}>{r.startedAt.slice(0, 19).replace("T", " ")}</time>
              </td>
              <td>
                <time datetime={r.finishedAt}>{r.finishedAt.slice(0, 19).replace("T", " ")}</time>
              </td>
              <td>{formatBytes(r.cur)} of {formatBytes(r.end)}</td>
              <td>{r.bandwidthBytes > 0 ? `${formatBytes(r.bandwidthBytes)}/s` : "none"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** Props of {@link StoredOutcome}. */
export interface StoredOutcomeProps {
  record: JobRecord;
  canControl: boolean;
}

/** The last finished job of a disk as the database remembers it (the monitor restarted). */
export function StoredOutcome({ record, canControl }: StoredOutcomeProps) {
  return (
    <div class={`job job-${record.phase} job-stored`} data-phase={record.phase}>
      <div class="job-status" data-phase={record.phase}>
        <div class="job-head">
          {/* Written as on the live card ("Copy"), not the API's word ("copy"). */}
          <strong class="job-type">{TYPE_LABEL[record.type] ?? record.type}</strong>
          <span class={`badge badge-job badge-${record.phase}`}>{record.phase}</span>
          <span class="job-by muted">started by {record.startedBy}</span>
        </div>
        <p class="job-outcome">{record.outcome}</p>
        {record.message ? <p class="job-message">{record.message}</p> : null}
        <LeftChain
          uuid={record.uuid}
          target={record.target}
          files={record.leftChain}
          cleaned={record.cleaned}
          canControl={canControl}
        />
      </div>
    </div>
  );
}
