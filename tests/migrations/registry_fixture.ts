/**
 * The dashboard's host registry (`server/hosts/registry.ts`) over lab hosts, each with a
 * process-per-call runner, for the migration tests. Monitors are not started: the migration code
 * does not need them.
 *
 * @module
 */
import { createHostRegistry, type RunningHostRegistry } from "../../server/hosts/registry.ts";
import type { HostSpec } from "../../server/hosts/model.ts";
import type { Database } from "../../server/db.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";

/** A registry over `specs` (first = default); `stop()` ends retries and virsh processes. */
export function testRegistry(specs: readonly HostSpec[], db?: Database): RunningHostRegistry {
  return createHostRegistry({
    hosts: specs,
    runnerFor: (spec) => new SpawnRunner({ uri: spec.uri, timeoutMs: 20_000 }),
    probeTimeoutMs: 2_000,
    ...(db ? { db } : {}),
  });
}
