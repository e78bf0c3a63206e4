/**
 * Builds the long-lived parts of blockboard around one virsh runner, the same way for the server
 * and for tests.
 *
 * @module
 */
import type { VirshRunner } from "./virsh/runner.ts";
import { Inventory } from "./inventory/service.ts";
import { JobMonitor, type JobMonitorOptions } from "./jobs/monitor.ts";
import { JobOperations, type JobOperationsOptions } from "./jobs/operations.ts";

/** The domain modules the routes call. */
export interface Services {
  runner: VirshRunner;
  inventory: Inventory;
  monitor: JobMonitor;
  operations: JobOperations;
}

/** Options of {@link createServices}. */
export interface ServiceOptions {
  monitor?: JobMonitorOptions;
  operations?: JobOperationsOptions;
  /** Inventory cache lifetime (ms). */
  inventoryCacheMs?: number;
}

/** Wires inventory, job monitor and operations; call `monitor.start()` to begin watching. */
export function createServices(runner: VirshRunner, options: ServiceOptions = {}): Services {
  const monitor = new JobMonitor(runner, options.monitor);
  const inventory = new Inventory(runner, {
    jobLookup: (uuid, target) => monitor.getJob(uuid, target),
    cacheMs: options.inventoryCacheMs,
  });
  const operations = new JobOperations(runner, monitor, options.operations);
  return { runner, inventory, monitor, operations };
}
