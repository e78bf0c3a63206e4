/**
 * Block jobs owned by a larger operation. A storage move's mirrors and a live migration's
 * drive-mirrors are block jobs libvirt lists like any other, but they are steps of that
 * operation: switching, aborting or throttling one disk alone would break it, and their ends are
 * the operation's to record. An operation claims a disk (domain UUID, target) for its lifetime
 * and releases it when it ends; the host's job book tags the disk's job with the claim's
 * {@link JobOwner}, the guards here refuse controls on it, and the job's end is not recorded or
 * announced as a standalone job.
 *
 * @module
 */
import type { DiskRef } from "./book_entry.ts";

/** The operation a job belongs to (API v1 `Job.owner`). */
export interface JobOwner {
  kind: "move" | "migration";
  /** The move's or the migration's id. */
  id: string;
  /** What the card says, e.g. `storage move 1a2b…` or `Migrating to bbw2`. */
  label: string;
}

/** A listener told when a disk is claimed. */
export type ClaimListener = (ref: DiskRef, owner: JobOwner) => void;

const diskKey = (r: DiskRef) => `${r.uuid}/${r.target}`;

/** The claims of one host's operations on its disks; see the module doc. */
export class JobOwners {
  readonly #claims = new Map<string, JobOwner>();
  readonly #listeners = new Set<ClaimListener>();

  /**
   * `owner` claims the disk until the returned function is called (releasing twice, or after
   * another owner claimed the disk, changes nothing). A later claim replaces an earlier one.
   */
  claim(ref: DiskRef, owner: JobOwner): () => void {
    const k = diskKey(ref);
    const claimed = { ...owner };
    this.#claims.set(k, claimed);
    for (const listener of this.#listeners) {
      listener({ uuid: ref.uuid, target: ref.target }, claimed);
    }
    return () => {
      if (this.#claims.get(k) === claimed) this.#claims.delete(k);
    };
  }

  /** The owner claiming the disk now, or null. */
  of(ref: DiskRef): JobOwner | null {
    return this.#claims.get(diskKey(ref)) ?? null;
  }

  /** The claims on domain `uuid`'s disks, by target. */
  claimsOf(uuid: string): { target: string; owner: JobOwner }[] {
    return [...this.#claims].filter(([k]) => k.startsWith(`${uuid}/`))
      .map(([k, owner]) => ({ target: k.slice(uuid.length + 1), owner }));
  }

  /** Hears every claim (the book tags the disk's running job); returns the unsubscribe. */
  onClaim(listener: ClaimListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The label of a storage move's claim. Pure. */
export function moveOwner(id: string): JobOwner {
  return { kind: "move", id, label: `storage move ${id}` };
}

/** The label of a live migration's claim. Pure. */
export function migrationOwner(id: string, to: string): JobOwner {
  return { kind: "migration", id, label: `Migrating to ${to}` };
}

/**
 * Why the operator may not control disk `target`'s job owned by `owner` (the 409's and the
 * terminal's sentence). Pure.
 */
export function ownedJobRefusal(target: string, owner: JobOwner): string {
  return owner.kind === "move"
    ? `disk ${target}'s copy is part of storage move ${owner.id}; switch or cancel the move instead`
    : `disk ${target}'s copy is part of the live migration ${owner.id} (${owner.label}); abort the migration instead`;
}

/** Claims `targets` of domain `uuid` for `owner`; returns the one function releasing them all. */
export function claimDisks(
  owners: JobOwners,
  uuid: string,
  targets: readonly string[],
  owner: JobOwner,
): () => void {
  const releases = targets.map((target) => owners.claim({ uuid, target }, owner));
  return () => releases.forEach((release) => release());
}
