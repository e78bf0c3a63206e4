/**
 * Live migration with storage between two hosts of the dashboard: pre-flight, the long-running
 * `virsh migrate` on the source host's runner, progress from `domjobinfo` once a second, abort
 * with `domjobabort`, and the outcome verified on both hosts. Volumes the migration made on the
 * target (libvirt's pre-created disks, blockboard's incremental tops) are deleted again when it
 * fails or is aborted, so nothing is left half-done.
 *
 * @module
 */
import { tryGetContext } from "hono/context-storage";
import type { AppEnv } from "../env.ts";
import type { HostRegistry } from "../hosts/model.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import {
  domCapabilitiesArgs,
  domJobAbortArgs,
  domJobInfoArgs,
  domStateArgs,
  domStatsBlockArgs,
  dumpXmlArgs,
  listPersistentArgs,
  migrateArgs,
  poolRefreshArgs,
  volCreateAsArgs,
  volDeleteArgs,
} from "../virsh/commands.ts";
import { displayCommandLine } from "../virsh/display.ts";
import { cleanLibvirtMessage, VirshError } from "../virsh/errors.ts";
import { parseDomainXml } from "../virsh/parse/domxml.ts";
import { parseDomainPlatform } from "../virsh/parse/domplatform.ts";
import { parseDomainCapabilities } from "../virsh/parse/domcaps.ts";
import { parseDomJobInfoRaw } from "../virsh/parse/domjobinfo.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import { JobConflictError, NotFoundError } from "../jobs/errors.ts";
import { migrateUriFor } from "./address.ts";
import type { MigrationHistory } from "./history.ts";
import {
  isActiveMigration,
  type MigrateRequest,
  type Migration,
  type ProgressSample,
  withSample,
} from "./model.ts";
import {
  checkCapabilities,
  type MigratingDisk,
  planTargetStorage,
  PreflightRefusal,
  type TargetStoragePlan,
} from "./preflight.ts";
import { readHostPools } from "./storage_pools.ts";
import type { MigrationEvent, MigrationListener, MigrationSource } from "./events.ts";

/** Options of {@link MigrationService}. */
export interface MigrationServiceOptions {
  /** The dashboard's hosts (the registry of `server/hosts/`). */
  hosts: Pick<HostRegistry, "get">;
  /** Finished migrations; null or absent: kept in memory only. */
  history?: MigrationHistory | null;
  /** Per-host migration stream address (`--migration-address NAME=ADDR`); default: URI host. */
  migrationAddresses?: ReadonlyMap<string, string>;
  /** Who is asking; default: the signed-in user of the request being served. */
  startedBy?: () => string | null;
  /** Sampling period of `domjobinfo` (default 1000 ms). */
  sampleIntervalMs?: number;
}

/** A migration in flight. */
interface InFlight {
  migration: Migration;
  source: VirshRunner;
  target: VirshRunner;
  plan: TargetStoragePlan;
  createdByUs: { pool: string; name: string }[];
  window: ProgressSample[];
  abortRequested: boolean;
  /** Bytes the disks' copy moves (virtual sizes, or the tops for `inc`), for a fast migration
   * that ended before any sample showed its totals. */
  diskBytes: number;
  timer?: ReturnType<typeof setTimeout>;
  finished: Promise<Migration>;
}

/** How many finished migrations stay in memory for `get` without a database. */
const RECENT_KEPT = 100;

/** See the module documentation. */
export class MigrationService implements MigrationSource {
  readonly #options: MigrationServiceOptions;
  readonly #active = new Map<string, InFlight>();
  readonly #listeners = new Set<MigrationListener>();
  readonly #recent: Migration[] = [];
  readonly #sampleMs: number;
  #closed = false;

  constructor(options: MigrationServiceOptions) {
    this.#options = options;
    this.#sampleMs = options.sampleIntervalMs ?? 1000;
  }

  /**
   * Runs the pre-flight and starts the migration of `domainName` from host `from`; resolves with
   * the migration after its first progress sample. Refusals: {@link PreflightRefusal} (409/400),
   * {@link NotFoundError} (404), {@link JobConflictError} (409: one migration per domain).
   */
  async start(from: string, domainName: string, request: MigrateRequest): Promise<Migration> {
    const source = this.#options.hosts.get(from);
    if (!source) throw new NotFoundError(`no host named ${JSON.stringify(from)}`);
    if (request.to === from) {
      throw new PreflightRefusal(`the domain is already on host ${from}; choose another host`, 400);
    }
    const target = this.#options.hosts.get(request.to);
    if (!target) {
      throw new PreflightRefusal(`no host named ${JSON.stringify(request.to)}`, 400);
    }
    if (!target.reachable) {
      throw new PreflightRefusal(
        `host ${target.name} is unreachable${
          target.lastError ? ` (${target.lastError})` : ""
        }; a migration needs both hosts answering`,
      );
    }
    const src = source.services.runner;
    const dst = target.services.runner;
    const listed = await source.services.inventory.resolve(domainName);
    if (!listed) {
      throw new NotFoundError(`no domain named ${JSON.stringify(domainName)} on host ${from}`);
    }
    const uuid = listed.uuid;
    if (this.#active.has(uuid)) {
      throw new JobConflictError(
        "job-exists",
        `domain ${listed.name} is already migrating; abort that migration first`,
      );
    }
    const [xmlOut, stateOut, persistentOut, statsOut] = await Promise.all([
      src.run(dumpXmlArgs(uuid)),
      src.run(domStateArgs(uuid)),
      src.run(listPersistentArgs()),
      src.run(domStatsBlockArgs(uuid)),
    ]);
    const state = stateOut.stdout.trim().split("\n")[0].trim();
    if (state !== "running") {
      throw new PreflightRefusal(
        `domain ${listed.name} is ${state} on host ${from}; a live migration needs a running domain`,
      );
    }
    const xml = parseDomainXml(xmlOut.stdout);
    const busy = xml.disks.find((d) => d.mirror !== null);
    if (busy) {
      throw new PreflightRefusal(
        `disk ${busy.target} of ${xml.name} has a block job running; finish or abort it before migrating`,
      );
    }
    const persistent = parseUuidList(persistentOut.stdout).includes(uuid);
    const blocks = parseDomstats(statsOut.stdout)[0]?.blocks ?? [];
    const disks: MigratingDisk[] = xml.disks.map((d) => {
      const top = blocks.find((b) => b.name === d.target);
      return {
        target: d.target,
        type: d.type,
        chain: d.chain.map((l) => ({ path: l.path, format: l.format })),
        capacity: top?.capacity ?? 0,
        topAllocation: top?.allocation ?? top?.capacity ?? 0,
      };
    });
    const platform = parseDomainPlatform(xmlOut.stdout);

    // The target: answering, free of this domain, able to run it, with room for its disks.
    let plan: TargetStoragePlan;
    try {
      // First a plain read: a target that does not answer fails here, and its host's runner
      // marks it down for everyone.
      const pools = await readHostPools(dst);
      const there = await dst.run(domStateArgs(uuid), { allowFailure: true });
      if (there.code === 0) {
        throw new PreflightRefusal(
          `host ${target.name} already has a domain with the UUID ${uuid} (${there.stdout.trim()}); remove it there first`,
        );
      }
      if (!/failed to get domain|Domain not found|no domain with matching/i.test(there.stderr)) {
        throw new VirshError({ argv: there.argv, code: there.code, stderr: there.stderr });
      }
      const capsOut = await dst.run(domCapabilitiesArgs(platform), { allowFailure: true });
      if (capsOut.code !== 0) {
        throw new PreflightRefusal(
          `host ${target.name} cannot run a ${platform.virtType} domain of arch ${platform.arch} and machine ${platform.machine} (libvirt said: ${
            cleanLibvirtMessage(capsOut.stderr)
          })`,
        );
      }
      checkCapabilities(platform, parseDomainCapabilities(capsOut.stdout), target.name);
      plan = planTargetStorage(disks, pools, request.storage, target);
    } catch (e) {
      if (e instanceof VirshError && e.kind === "unreachable") {
        throw new PreflightRefusal(
          `host ${target.name} does not answer (${
            e.libvirtMessage || e.message
          }); a migration needs both hosts answering`,
        );
      }
      throw e;
    }

    const migrateUri = migrateUriFor(
      target.uri,
      this.#options.migrationAddresses?.get(target.name),
    );
    const argv = migrateArgs(uuid, {
      destUri: target.uri,
      ...(migrateUri ? { migrateUri } : {}),
      storage: request.storage,
      persistent,
      bandwidthBytes: request.bandwidthBytes,
    });
    const createdByUs: { pool: string; name: string }[] = [];
    for (const vol of plan.createByUs) {
      try {
        await dst.run(volCreateAsArgs(vol));
      } catch (e) {
        await this.#deleteVolumes(dst, createdByUs);
        throw e;
      }
      createdByUs.push({ pool: vol.pool, name: vol.name });
    }
    const migration: Migration = {
      id: crypto.randomUUID(),
      domain: xml.name,
      uuid,
      from: source.name,
      to: target.name,
      storage: request.storage,
      phase: "preparing",
      stage: null,
      dataTotal: 0,
      dataProcessed: 0,
      dataRemaining: 0,
      rateBytesPerSecond: null,
      etaSeconds: null,
      dirtyRatePagesPerSecond: null,
      bandwidthBytes: request.bandwidthBytes ?? 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      message: "",
      startedBy: (this.#options.startedBy ?? requestUser)(),
      command: displayCommandLine(src.uri, argv),
    };
    const flight: InFlight = {
      migration,
      source: src,
      target: dst,
      plan,
      createdByUs,
      window: [],
      abortRequested: false,
      diskBytes: disks.reduce(
        (sum, d) => sum + (request.storage === "all" ? d.capacity : d.topAllocation),
        0,
      ),
      finished: Promise.resolve(migration),
    };
    this.#active.set(uuid, flight);
    this.#emit({ kind: "started", migration: { ...migration } });
    const run = src.run(argv, { lane: "long", timeoutMs: 0, allowFailure: true });
    flight.finished = run.then(
      (out) => this.#finish(flight, out.code, out.stderr),
      (e) =>
        this.#finish(flight, null, e instanceof VirshError ? e.stderr || e.message : String(e)),
    );
    // Answer once libvirt shows the job (or after a second): the caller sees it copying, with
    // its first figures, within a second of the start.
    const until = Date.now() + 1000;
    await this.#sample(flight);
    while (flight.migration.phase === "preparing" && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      await this.#sample(flight);
    }
    this.#schedule(flight);
    return { ...flight.migration };
  }

  /**
   * The migration of `domain` (name or UUID) seen from `host`: one leaving it (running or
   * finished), or one that landed on it (completed). Null when none is known.
   */
  get(host: string, domain: string): Migration | null {
    const matches = (m: Migration) =>
      (m.domain === domain || m.uuid === domain) &&
      (m.from === host || (m.to === host && m.phase === "completed"));
    for (const f of this.#active.values()) if (matches(f.migration)) return { ...f.migration };
    const recent = this.#recent.find(matches);
    if (recent) return { ...recent };
    return this.#options.history?.latest(host, domain) ?? null;
  }

  /** Migrations running now. */
  active(): Migration[] {
    return [...this.#active.values()].map((f) => ({ ...f.migration }));
  }

  /**
   * Aborts the running migration of `domain` leaving `host` (`domjobabort` on the source) and
   * resolves once `virsh migrate` has ended, with the outcome verified (the domain stays on the
   * source).
   */
  async abort(host: string, domain: string): Promise<Migration> {
    const flight = [...this.#active.values()].find((f) =>
      f.migration.from === host && (f.migration.domain === domain || f.migration.uuid === domain)
    );
    if (!flight) {
      throw new JobConflictError(
        "no-job",
        `domain ${domain} has no migration running from host ${host}`,
      );
    }
    flight.abortRequested = true;
    // The job exists on the source only once virsh migrate has begun: retry briefly until then.
    for (let attempt = 0; isActiveMigration(flight.migration.phase); attempt++) {
      const out = await flight.source.run(domJobAbortArgs(flight.migration.uuid), {
        allowFailure: true,
      });
      if (out.code === 0 || !/no job is active/i.test(out.stderr) || attempt >= 20) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return await flight.finished;
  }

  /** Calls `listener` when a migration starts and when it ends; returns the unsubscribe. */
  onEvent(listener: MigrationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener; one that throws does not stop the others or the migration. */
  #emit(event: MigrationEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        console.error("migration listener failed:", e);
      }
    }
  }

  /** Stops sampling (shutdown); running `virsh migrate` processes end with their runner. */
  close(): void {
    this.#closed = true;
    for (const f of this.#active.values()) clearTimeout(f.timer);
  }

  #schedule(flight: InFlight): void {
    if (this.#closed || !isActiveMigration(flight.migration.phase)) return;
    // Until libvirt shows the job, look four times a second, so progress shows within 1 s.
    const delay = flight.migration.phase === "preparing"
      ? Math.min(250, this.#sampleMs)
      : this.#sampleMs;
    flight.timer = setTimeout(async () => {
      await this.#sample(flight);
      this.#schedule(flight);
    }, delay);
  }

  async #sample(flight: InFlight): Promise<void> {
    let out;
    try {
      out = await flight.source.run(domJobInfoArgs(flight.migration.uuid), {
        lane: "sampler",
        timeoutMs: 5_000,
        allowFailure: true,
      });
    } catch {
      return; // a missed sample; the next one comes in a second
    }
    if (out.code !== 0 || !isActiveMigration(flight.migration.phase)) return;
    const info = parseDomJobInfoRaw(out.stdout);
    if (!info) return;
    flight.window.push({ atMs: Date.now(), processed: info.dataProcessed });
    if (flight.window.length > 5) flight.window.shift();
    flight.migration = withSample(flight.migration, info, flight.window);
  }

  async #finish(flight: InFlight, code: number | null, stderr: string): Promise<Migration> {
    clearTimeout(flight.timer);
    const m = flight.migration;
    const from = m.from;
    const to = m.to;
    const onSource = await stateOf(flight.source, m.uuid);
    const onTarget = await stateOf(flight.target, m.uuid);
    let phase: "completed" | "failed" | "aborted";
    let message: string;
    let totals = {};
    if (code === 0 && onTarget === "running") {
      phase = "completed";
      const total = m.dataTotal > 0 ? m.dataTotal : flight.diskBytes;
      totals = { dataTotal: total, dataProcessed: total, dataRemaining: 0 };
      message = `completed: ${m.domain} runs on ${to}${
        onSource === null
          ? ` and is no longer defined on ${from}`
          : `; on ${from} it is still listed as ${onSource}`
      }`;
    } else {
      const said = cleanLibvirtMessage(stderr);
      const aborted = flight.abortRequested || /canceled by client|operation aborted/i.test(said);
      phase = aborted ? "aborted" : "failed";
      const where = onSource === "running"
        ? `${m.domain} stays on ${from}, running`
        : onSource === null
        ? `${m.domain} is no longer on ${from}${
          onTarget ? ` and is ${onTarget} on ${to}` : ""
        }: check both hosts`
        : `${m.domain} is ${onSource} on ${from}`;
      message = `${aborted ? "aborted" : "failed"}: ${where}${
        !aborted && said ? ` (libvirt said: ${said})` : ""
      }`;
      if (onTarget === null) {
        const left = await this.#deleteVolumes(flight.target, [
          ...flight.plan.precreatedByLibvirt,
          ...flight.createdByUs,
        ]);
        if (left.length) message += `; could not delete ${left.join(", ")} on ${to}`;
      }
    }
    const done: Migration = {
      ...flight.migration,
      ...totals,
      phase,
      message,
      finishedAt: new Date().toISOString(),
      etaSeconds: null,
    };
    flight.migration = done;
    this.#active.delete(m.uuid);
    this.#recent.unshift(done);
    this.#recent.length = Math.min(this.#recent.length, RECENT_KEPT);
    for (const name of [from, to]) this.#options.hosts.get(name)?.services.inventory.invalidate();
    try {
      this.#options.history?.save(done);
    } catch (e) {
      console.error(`migration ${done.id}: could not save its history row: ${e}`);
    }
    this.#emit({ kind: phase, migration: { ...done } });
    return done;
  }

  /** Deletes volumes on the target that exist; returns the names it could not delete. */
  async #deleteVolumes(
    runner: VirshRunner,
    volumes: readonly { pool: string; name: string }[],
  ): Promise<string[]> {
    const left: string[] = [];
    // libvirt's pre-created files are not in the pool's list until it is read again.
    for (const pool of new Set(volumes.map((v) => v.pool))) {
      await runner.run(poolRefreshArgs(pool), { allowFailure: true }).catch(() => undefined);
    }
    for (const v of volumes) {
      const out = await runner.run(volDeleteArgs(v.pool, v.name), { allowFailure: true })
        .catch((e) => ({ code: 1, stderr: String(e) }));
      if (out.code !== 0 && !/not found|no storage vol/i.test(out.stderr)) left.push(v.name);
    }
    return left;
  }
}

/** The signed-in user of the request being served, if any. */
function requestUser(): string | null {
  return tryGetContext<AppEnv>()?.var.user?.name ?? null;
}

/** `domstate` of a domain on a host, or null when the host does not know it. */
async function stateOf(runner: VirshRunner, uuid: string): Promise<string | null> {
  try {
    const out = await runner.run(domStateArgs(uuid), { allowFailure: true });
    return out.code === 0 ? out.stdout.trim().split("\n")[0].trim() : null;
  } catch {
    return null;
  }
}
