/**
 * What sits under a disk's chain: its job card (live or last finished) and the start forms.
 * Pure.
 *
 * @module
 */
import type { Disk, Domain } from "../server/inventory/model.ts";
import { isActivePhase } from "../server/jobs/model.ts";
import type { DiskExtras } from "./dashboard.tsx";
import { JobCard } from "./job.tsx";
import { StartJobForms } from "./job_forms.tsx";

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
}

/** Builds the {@link DiskExtras} renderer for pages and disk fragments. */
export function diskExtras(options: DiskExtrasOptions): DiskExtras {
  return (domain: Domain, disk: Disk) => {
    const job = disk.job;
    const active = job !== null && isActivePhase(job.phase);
    return (
      <div class="disk-extras">
        {job
          ? (
            <JobCard
              job={job}
              notice={options.notice?.(domain, disk) ?? null}
              ran={options.ran?.(domain, disk) ?? null}
              canControl={options.canControl}
            />
          )
          : null}
        {!active && options.canControl
          ? (
            <StartJobForms
              domain={domain}
              disk={disk}
              storageRoots={options.storageRoots}
              copyDest={options.copyDest?.(domain, disk)}
            />
          )
          : null}
      </div>
    );
  };
}
