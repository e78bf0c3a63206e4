/**
 * Wires one {@link WebhookNotifier} to the whole control plane: every host's job book and
 * storage moves, and the live migrations between them.
 *
 * @module
 */
import type { HostRegistry } from "../hosts/model.ts";
import type { MigrationSource } from "../migrations/events.ts";
import type { WebhookNotifier } from "./notifier.ts";

/** The hosts to announce, and when each may be listened to. */
export interface AnnouncedHosts extends Pick<HostRegistry, "list"> {
  /**
   * Resolves once the host's first resync is over, so the jobs that ran before blockboard
   * started are not announced as started (see `RunningHostRegistry.started`); default: now.
   */
  started?: (name: string) => Promise<void>;
}

/** Announces the events of every host of `hosts` and of `migrations`; returns the unsubscribe. */
export function watchControlPlane(
  notifier: WebhookNotifier,
  hosts: AnnouncedHosts,
  migrations: Pick<MigrationSource, "onEvent">,
): () => void {
  let stopped = false;
  const unsubscribe = [notifier.watchMigrations(migrations)];
  for (const host of hosts.list()) {
    // A host still starting in the background is listened to once it has resynced.
    void (hosts.started?.(host.name) ?? Promise.resolve()).then(() => {
      if (stopped) return;
      unsubscribe.push(
        notifier.watchJobs(host.name, host.services.monitor.book),
        notifier.watchMoves(host.name, host.services.moves),
      );
    });
  }
  return () => {
    stopped = true;
    for (const stop of unsubscribe.splice(0)) stop();
  };
}
