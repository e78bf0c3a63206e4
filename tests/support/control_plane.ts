/**
 * A registry of several hosts over scripted runners, with no monitor running (jobs are put into
 * each host's book by hand), plus stand-ins for a migration service and a move engine: what the
 * metrics and webhook unit tests of the whole control plane share. The real behaviour is proven
 * on lab hosts (`tests/metrics/lab_hosts_metrics_test.ts`).
 *
 * @module
 */
import { createHostRegistry, type RunningHostRegistry } from "../../server/hosts/registry.ts";
import type { Services } from "../../server/services.ts";
import type { Migration } from "../../server/migrations/model.ts";
import type { MigrationListener, MigrationSource } from "../../server/migrations/events.ts";
import type { Move } from "../../server/moves/model.ts";
import type { MoveSource } from "../../server/moves/events.ts";
import { FakeRunner, type FakeScript } from "./fake_runner.ts";

/** What `virsh` answers on a host that refuses connections. */
export const REFUSED =
  "failed to connect to the hypervisor\nerror: unable to connect to server at '10.77.9.2:16509': Connection refused";

/** A registry over `scripts` (name → script; the first is the default) and its runners. */
export function scriptedRegistry(
  scripts: Record<string, FakeScript>,
): { registry: RunningHostRegistry; runners: Map<string, FakeRunner> } {
  const runners = new Map<string, FakeRunner>();
  const registry = createHostRegistry({
    hosts: Object.keys(scripts).map((name) => ({
      name,
      uri: `qemu+tcp://${name}.example/system`,
    })),
    runnerFor: (spec) => {
      const runner = Object.assign(new FakeRunner(scripts[spec.name], spec.uri), {
        close: () => Promise.resolve(),
      });
      runners.set(spec.name, runner);
      return runner;
    },
    serviceOptions: () => ({ monitor: { sampling: false, events: false } }),
    probeTimeoutMs: 200,
    backoffMs: { initial: 60_000, max: 60_000 },
  });
  return { registry, runners };
}

/** Puts a running `type` job on `target` of domain `domain` into the host's book at `cur`/1000. */
export function runningJob(
  s: Services,
  uuid: string,
  domain: string,
  options: { target?: string; type?: "copy" | "pull"; cur?: number } = {},
) {
  const ref = { uuid, target: options.target ?? "vda" };
  const type = options.type ?? "copy";
  s.monitor.book.begin({ ...ref, domain, type, bandwidthBytes: 0 });
  s.monitor.book.confirm(ref);
  s.monitor.book.applySample(ref, {
    typeName: type === "copy" ? "Block Copy" : "Block Pull",
    type,
    bandwidth: 0,
    cur: options.cur ?? 500,
    end: 1000,
  });
  return ref;
}

/** A migration of `domain` from `from` to `to`, copying. */
export function copyingMigration(domain: string, from: string, to: string): Migration {
  return {
    id: crypto.randomUUID(),
    domain,
    uuid: crypto.randomUUID(),
    from,
    to,
    storage: "all",
    phase: "copying",
    stage: "disks",
    dataTotal: 4000,
    dataProcessed: 1000,
    dataRemaining: 3000,
    rateBytesPerSecond: 500,
    etaSeconds: 6,
    dirtyRatePagesPerSecond: null,
    bandwidthBytes: 0,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    message: "",
    startedBy: null,
    command: `virsh -c qemu+tcp://${from}.example/system migrate ...`,
  };
}

/** A migration service stand-in: its running migrations and its listeners, set by the test. */
export class StubMigrations implements MigrationSource {
  running: Migration[] = [];
  readonly listeners = new Set<MigrationListener>();
  active(): Migration[] {
    return this.running.map((m) => ({ ...m }));
  }
  onEvent(listener: MigrationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** Tells the listeners, as the service does at a start and an end. */
  emit(kind: "started" | "completed" | "failed" | "aborted", migration: Migration): void {
    for (const l of this.listeners) l({ kind, migration });
  }
}

/** A move of `domain` in state `state`, 250 of 1000 bytes copied. */
export function moveIn(domain: string, state: Move["state"], id = crypto.randomUUID()): Move {
  return {
    id,
    domain,
    uuid: crypto.randomUUID(),
    state,
    destDir: "/srv/new",
    disks: [],
    bytesTotal: 1000,
    bytesDone: 250,
    rateBytesPerSecond: 50,
    etaSeconds: 15,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    message: null,
    pivot: "manual",
    bandwidthBytes: 0,
    mode: "live",
  };
}

/** A move engine stand-in: its moves, and `change` to report one as the engine does. */
export class StubMoves implements MoveSource {
  readonly moves = new Map<string, Move>();
  readonly #listeners = new Set<(move: Move) => void>();
  list(): Move[] {
    return [...this.moves.values()].map((m) => structuredClone(m));
  }
  onChange(listener: (move: Move) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Sets the move's state (and keeps it) and tells the listeners. */
  change(move: Move, state: Move["state"]): void {
    const next = { ...move, state };
    this.moves.set(move.id, next);
    for (const l of this.#listeners) l(structuredClone(next));
  }
}
