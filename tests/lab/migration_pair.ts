/**
 * Two namespaced lab hosts `a` and `b` ready for a live migration with storage of one persistent
 * domain from `a` (a dir pool over its disks' folder on `b`, so libvirt pre-creates the target
 * disks), and the dashboard's host registry over them, started. Disposal stops the registry,
 * removes the domain from `b` if it landed there, and tears both hosts down.
 *
 * @module
 */
import { createHostRegistry, type RunningHostRegistry } from "../../server/hosts/registry.ts";
import type { HostSpec } from "../../server/hosts/model.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import type { HostLabDomain } from "./host_domain.ts";
import { definePool } from "./host_pool.ts";
import { type LabHost, type LabHostOptions, startLabHost } from "./hosts.ts";
import { uniqueName } from "./lab.ts";

/** Options of {@link startMigrationPair}. */
export interface MigrationPairOptions {
  a: LabHostOptions;
  b: LabHostOptions;
  /** Prefix of the domain's name and of `b`'s pool (the test's own lab prefix). */
  prefix: string;
  /** The registry's hosts from `a` and `b` (default: `a` then `b`, named so). */
  hosts?: (a: LabHost, b: LabHost) => HostSpec[];
}

/** See the module documentation. */
export interface MigrationPair extends AsyncDisposable {
  a: LabHost;
  b: LabHost;
  /** Running on `a`, two layers on `vda`. */
  dom: HostLabDomain;
  registry: RunningHostRegistry;
}

/** See the module documentation. */
export async function startMigrationPair(options: MigrationPairOptions): Promise<MigrationPair> {
  const a = await startLabHost(options.a);
  const b = await startLabHost(options.b);
  const dom = await a.createDomain({
    name: uniqueName(options.prefix),
    persistent: true,
    disks: [{ target: "vda", layers: 2 }],
  });
  const top = dom.disks[0].chain[0];
  await definePool(b, `${options.prefix}pool`, top.slice(0, top.lastIndexOf("/")));
  const registry = createHostRegistry({
    hosts: options.hosts?.(a, b) ?? [{ name: "a", uri: a.uri }, { name: "b", uri: b.uri }],
    runnerFor: (spec) => new SpawnRunner({ uri: spec.uri, timeoutMs: 20_000 }),
    serviceOptions: () => ({ storageRoots: [] }),
    probeTimeoutMs: 2000,
  });
  await registry.start();
  return {
    a,
    b,
    dom,
    registry,
    async [Symbol.asyncDispose]() {
      await registry.stop();
      await b.virsh("destroy", "--domain", dom.uuid);
      await b.virsh("undefine", "--domain", dom.uuid);
      await dom[Symbol.asyncDispose]();
      await b.stop();
      await a.stop();
    },
  };
}
