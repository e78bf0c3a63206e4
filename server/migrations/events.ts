/**
 * The moments of a migration's life others may want to hear about — it started (`virsh migrate`
 * was launched), it ended completed, failed or aborted — as {@link MigrationService} reports
 * them. Metrics count the ends and webhooks tell receivers; both listen here.
 *
 * @module
 */
import type { Migration } from "./model.ts";

/** Which moment: see the module doc. */
export type MigrationEventKind = "started" | "completed" | "failed" | "aborted";

/** One moment, with the migration as the API shows it right after it. */
export interface MigrationEvent {
  kind: MigrationEventKind;
  migration: Migration;
}

/** A listener of {@link MigrationEvent}s. */
export type MigrationListener = (event: MigrationEvent) => void;

/** What metrics and webhooks read of the migrations: the running ones and their moments. */
export interface MigrationSource {
  /** Migrations running now (from memory). */
  active(): Migration[];
  /** Calls `listener` at each moment from now on; returns the function that removes it. */
  onEvent(listener: MigrationListener): () => void;
}
