/**
 * How a job card shows a job owned by a storage move or a live migration (`server/jobs/owners.ts`):
 * which operation it is a step of, linked to that operation's card on the same page, and, once
 * it ended, that its end is recorded there instead of as an outcome of its own. Pure.
 *
 * @module
 */
import type { Job } from "../server/jobs/model.ts";
import type { JobOwner } from "../server/jobs/owners.ts";
import { moveCardId } from "./move_card.tsx";
import { migrationPanelId } from "./migration.tsx";

/** The in-page link to the owner's card (the move's card or the domain's migration panel). */
export function ownerHref(owner: JobOwner, uuid: string): string {
  return `#${owner.kind === "move" ? moveCardId(owner.id) : migrationPanelId(uuid)}`;
}

/** "part of storage move ID" / "part of the migration: Migrating to HOST", linked. */
export function JobOwnerTag({ job, owner }: { job: Job; owner: JobOwner }) {
  return (
    <span class="tag job-owner" data-owner-kind={owner.kind} data-owner-id={owner.id}>
      part of {owner.kind === "migration" ? "the migration: " : ""}
      <a href={ownerHref(owner, job.uuid)}>{owner.label}</a>
    </span>
  );
}

/** What an owned job's card says instead of its controls. */
export function OwnedJobNote({ owner }: { owner: JobOwner }) {
  return (
    <p class="muted job-owned-note">
      {owner.kind === "move"
        ? "This mirror is a step of the move: switch or cancel the move on its card."
        : "This mirror is libvirt's copy of the disk for the migration: abort the migration on its card."}
      {" "}
      Its end is recorded with the {owner.kind === "move" ? "move" : "migration"}.
    </p>
  );
}
