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
import { type DomJobInfo, JOB_OPERATION, parseDomJobInfoRaw } from "../virsh/parse/domjobinfo.ts";
import type { AuditSink } from "../audit/web.ts";
import { parseDomstats } from "../virsh/parse/domstats.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import { JobConflictError, NotFoundError } from "../jobs/errors.ts";
import { claimDisks, migrationOwner } from "../jobs/owners.ts";
import { migrateUriFor } from "./address.ts";
import type { MigrationHistory } from "./history.ts";
import {
  EMPTY_RATE_WINDOW,
  isActiveMigration,
  type MigrateRequest,
  type Migration,
  nextRateWindow,
  type RateWindow,
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
import { type MigrationHistoryRecord, migrationHistoryRecord } from "./job_history.ts";

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
  /** Where {@link MigrationService.shutdown} records the migrations it aborted. */
  audit?: AuditSink | null;
}

/** A migration in flight. */
interface InFlight {
  migration: Migration;
  source: VirshRunner;
  target: VirshRunner;
  plan: TargetStoragePlan;
  createdByUs: { pool: string; name: string }[];
  window: RateWindow;
  abortRequested: boolean;
  /** Bytes the disks' copy moves (virtual sizes, or the tops for `inc`), for a fast migration
   * that ended before any sample showed its totals. */
  diskBytes: number;
  timer?: ReturnType<typeof setTimeout>;
  finished: Promise<Migration>;
  /** Why blockboard itself ended it (a shutdown, a restart): said first in the outcome. */
  endedBecause?: string;
  /** Found running after a restart, driven by a virsh migrate of the blockboard before. */
  adopted?: boolean;
  /** Resolves {@link finished} of an adopted one. */
  ended?: (m: Migration) => void;
}

/** The outcome's first words for a migration found stalled after a restart. */
const STALLED_AFTER_RESTART =
  "blockboard restarted during the migration (the virsh migrate driving it ended with it, so libvirt could not finish it and it stalled); blockboard aborted it";

/** What virsh says for a domain the host does not have. */
const DOMAIN_NOT_FOUND = /failed to get domain|Domain not found|no domain with matching/i;

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
      if (!DOMAIN_NOT_FOUND.test(there.stderr)) {
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
      window: EMPTY_RATE_WINDOW,
      abortRequested: false,
      diskBytes: disks.reduce(
        (sum, d) => sum + (request.storage === "all" ? d.capacity : d.topAllocation),
        0,
      ),
      finished: Promise.resolve(migration),
    };
    try {
      // Stored before it starts: a restart in the middle finds it (see `recover`).
      this.#options.history?.begin(migration, [...plan.precreatedByLibvirt, ...createdByUs]);
    } catch (e) {
      await this.#deleteVolumes(dst, createdByUs);
      throw e;
    }
    this.#active.set(uuid, flight);
    this.#emit({ kind: "started", migration: { ...migration } });
    // libvirt's drive-mirrors of the disks are steps of this migration, not copies of their own.
    const owner = migrationOwner(migration.id, target.name);
    const release = claimDisks(
      source.services.monitor.book.owners,
      uuid,
      disks.map((d) => d.target),
      owner,
    );
    const run = src.run(argv, { lane: "long", timeoutMs: 0, allowFailure: true });
    flight.finished = run.then(
      (out) => this.#finish(flight, out.code, out.stderr),
      (e) =>
        this.#finish(flight, null, e instanceof VirshError ? e.stderr || e.message : String(e)),
    ).finally(release);
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

  /** The completed migration that took `domain` (name or UUID) away from `host`, or null. */
  departed(host: string, domain: string): Migration | null {
    const m = this.get(host, domain);
    return m && m.phase === "completed" && m.from === host ? m : null;
  }

  /**
   * `host`'s finished migrations (left it, or landed on it) as history entries, newest first;
   * from the database, or from memory without one.
   */
  finished(host: string, query: { domain?: string; limit: number }): MigrationHistoryRecord[] {
    const d = query.domain;
    const found = this.#options.history
      ? this.#options.history.forHost(host, d, query.limit)
      : this.#recent.filter((m) =>
        (m.from === host || (m.to === host && m.phase === "completed")) &&
        (d === undefined || m.domain === d || m.uuid === d)
      ).slice(0, query.limit);
    return found.flatMap((m) => migrationHistoryRecord(m, host) ?? []);
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
    return await this.#abortFlight(flight);
  }

  async #abortFlight(flight: InFlight): Promise<Migration> {
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

  /**
   * Detaches (a crash, or the last step of {@link shutdown}): stops sampling and records nothing
   * more. A migration still running stays stored as unfinished, for {@link recover} at the next
   * start; its `virsh migrate` ends with the runner.
   */
  close(): void {
    this.#closed = true;
    for (const f of this.#active.values()) clearTimeout(f.timer);
  }

  /**
   * A graceful shutdown: aborts every running migration (`domjobabort`), waits up to
   * `deadlineMs` for each outcome (verified on both hosts, the target's new volumes deleted),
   * records it with an audit entry, then {@link close}s. Leaving them running is no option:
   * `virsh migrate` drives the migration, it ends with blockboard, libvirt then removes the
   * half-made domain on the target and the source's job stalls (measured on libvirt 9.0).
   * What does not end in time stays stored for {@link recover}.
   */
  async shutdown(deadlineMs = 20_000): Promise<Migration[]> {
    const flights = [...this.#active.values()];
    const ended = await Promise.all(flights.map(async (flight) => {
      flight.endedBecause ??= "blockboard was shut down during the migration";
      const aborted = this.#abortFlight(flight);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<null>((r) => timer = setTimeout(r, deadlineMs, null));
      const done = await Promise.race([aborted, late]).finally(() => clearTimeout(timer));
      const m = done ?? flight.migration;
      try {
        this.#options.audit?.record({
          user: "system",
          role: "none",
          client: "",
          action: "migration.abort-at-shutdown",
          argv: ["-c", flight.source.uri, ...domJobAbortArgs(m.uuid)],
          result: done && done.phase === "aborted" ? "ok" : "failed",
          message: done
            ? m.message
            : `blockboard was shut down during the migration of ${m.domain} from ${m.from} to ${m.to}; it did not end within ${deadlineMs} ms, so the next start settles it`,
          domain: m.domain,
          host: m.from,
        });
      } catch (e) {
        console.error(`migration ${m.id}: could not audit its abort at shutdown: ${e}`);
      }
      return m;
    }));
    this.close();
    return ended;
  }

  /**
   * Settles every migration the database holds as unfinished (blockboard stopped while it ran).
   * Measured on libvirt 9.0: when the `virsh migrate` that drives a migration dies, libvirt
   * destroys the half-made domain on the target at once, and the source keeps an outgoing
   * migration job that never moves again; nothing can complete it. So: a job still on the source
   * with nothing on the target is aborted (`domjobabort`), then the outcome is worked out from
   * where the domain runs on both hosts (the target's new volumes deleted when it did not land
   * there) and recorded, with a sentence saying blockboard restarted during it. A job still on
   * the source with the incoming domain still on the target is alive (after a crash the virsh
   * migrate, in its own process group, outlives blockboard): it is adopted, sampled and settled
   * when it ends. A host that does not answer leaves that migration stored for the next call.
   * Resolves with the outcomes recorded now (adopted ones end later).
   */
  async recover(): Promise<Migration[]> {
    const settled: Migration[] = [];
    for (const stored of this.#options.history?.unfinished() ?? []) {
      const m = stored.migration;
      if (this.#active.has(m.uuid)) continue;
      try {
        const outcome = await this.#settleAfterRestart(m, stored.targetVolumes);
        if (outcome) settled.push(outcome);
      } catch (e) {
        console.error(
          `blockboard: the migration of ${m.domain} from ${m.from} to ${m.to} cannot be settled yet: ${
            e instanceof Error ? e.message : e
          }`,
        );
      }
    }
    return settled;
  }

  /**
   * {@link recover} now, then again every `intervalMs` while some stored migration could not be
   * settled (a host that did not answer yet), until {@link close}. `onSettled` hears each outcome.
   */
  keepRecovering(onSettled: (m: Migration) => void, intervalMs = 30_000): void {
    const round = async () => {
      if (this.#closed) return;
      for (const m of await this.recover()) onSettled(m);
      const left = (this.#options.history?.unfinished() ?? [])
        .some((u) => !this.#active.has(u.migration.uuid));
      if (left && !this.#closed) Deno.unrefTimer(setTimeout(round, intervalMs));
    };
    round().catch((e) => console.error(`blockboard: settling stored migrations failed: ${e}`));
  }

  async #settleAfterRestart(
    m: Migration,
    targetVolumes: { pool: string; name: string }[],
  ): Promise<Migration | null> {
    const source = this.#options.hosts.get(m.from);
    const target = this.#options.hosts.get(m.to);
    if (!source || !target) {
      const missing = source ? m.to : m.from;
      return this.#record({
        ...m,
        phase: "failed",
        etaSeconds: null,
        finishedAt: new Date().toISOString(),
        message:
          `failed: blockboard restarted during the migration and host ${missing} is no longer configured: check ${m.domain} on ${m.from} and ${m.to} by hand`,
      });
    }
    const flight: InFlight = {
      migration: { ...m },
      source: source.services.runner,
      target: target.services.runner,
      plan: { precreatedByLibvirt: targetVolumes.map((v) => ({ ...v, path: "" })), createByUs: [] },
      createdByUs: [],
      window: EMPTY_RATE_WINDOW,
      abortRequested: false,
      diskBytes: 0,
      finished: Promise.resolve(m),
      endedBecause: "blockboard restarted during the migration",
    };
    // Strict reads: a host that does not answer must not pass for one without the domain.
    let job = await migrationJobOf(flight.source, m.uuid);
    if (job && await strictStateOf(flight.target, m.uuid) !== null) {
      // The target still holds the incoming domain: the virsh migrate that drives it outlived
      // blockboard (a crash: it runs in its own process group) and goes on. Follow it to its end.
      flight.endedBecause = "blockboard restarted during the migration and followed it to its end";
      flight.adopted = true;
      flight.migration = { ...flight.migration, phase: "copying" };
      let ended!: (m: Migration) => void;
      flight.finished = new Promise((r) => ended = r);
      flight.ended = ended;
      this.#active.set(m.uuid, flight);
      await this.#sample(flight);
      this.#schedule(flight);
      return null;
    }
    if (job) {
      flight.abortRequested = true;
      flight.endedBecause = STALLED_AFTER_RESTART;
      await flight.source.run(domJobAbortArgs(m.uuid), { allowFailure: true });
      for (let i = 0; job && i < 60; i++) {
        await new Promise((r) => setTimeout(r, 500));
        job = await migrationJobOf(flight.source, m.uuid);
      }
      if (job) throw new Error(`its job on ${m.from} did not end after domjobabort`);
    }
    const onSource = await strictStateOf(flight.source, m.uuid);
    const onTarget = await strictStateOf(flight.target, m.uuid);
    const landed = onTarget === "running" && onSource === null;
    return await this.#finish(flight, landed ? 0 : null, "", { onSource, onTarget });
  }

  /** Saves a finished migration (history, memory); a failure to store is logged. */
  #record(done: Migration): Migration {
    this.#recent.unshift(done);
    this.#recent.length = Math.min(this.#recent.length, RECENT_KEPT);
    try {
      this.#options.history?.save(done);
    } catch (e) {
      console.error(`migration ${done.id}: could not save its history row: ${e}`);
    }
    if (done.phase === "completed" || done.phase === "failed" || done.phase === "aborted") {
      this.#emit({ kind: done.phase, migration: { ...done } });
    }
    return done;
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
    if (!isActiveMigration(flight.migration.phase)) return;
    if (out.code !== 0) {
      // An adopted one has no virsh migrate of ours to report its end: the domain leaving the
      // source (it landed, `--undefinesource`) is the end too.
      if (flight.adopted && DOMAIN_NOT_FOUND.test(out.stderr)) await this.#endAdopted(flight);
      return;
    }
    const info = parseDomJobInfoRaw(out.stdout);
    if (flight.adopted && !(info?.type === "bounded" || info?.type === "unbounded")) {
      await this.#endAdopted(flight);
      return;
    }
    if (flight.adopted && !flight.abortRequested) {
      // Its driving virsh may die later on: then libvirt drops the target's domain and the job
      // stalls for good. Seen so, it is aborted like one found stalled at start-up.
      const there = await strictStateOf(flight.target, flight.migration.uuid).catch(() => "?");
      if (there === null) {
        flight.endedBecause = STALLED_AFTER_RESTART;
        flight.abortRequested = true;
        await flight.source.run(domJobAbortArgs(flight.migration.uuid), { allowFailure: true })
          .catch(() => undefined);
        return;
      }
    }
    if (!info) return;
    // The job's own clock: a sample's time is when QEMU counted, not when virsh came back.
    const atMs = info.timeElapsedMs ?? Date.now() - Date.parse(flight.migration.startedAt);
    flight.window = nextRateWindow(flight.window, info, atMs);
    flight.migration = withSample(flight.migration, info, flight.window);
  }

  /** An adopted migration's job ended: its outcome from where the domain runs now. */
  async #endAdopted(flight: InFlight): Promise<void> {
    let seen;
    try {
      seen = {
        onSource: await strictStateOf(flight.source, flight.migration.uuid),
        onTarget: await strictStateOf(flight.target, flight.migration.uuid),
      };
    } catch {
      return; // a host did not answer: the next sample looks again
    }
    const landed = seen.onTarget === "running" && seen.onSource === null;
    flight.ended?.(await this.#finish(flight, landed ? 0 : null, "", seen));
  }

  async #finish(
    flight: InFlight,
    code: number | null,
    stderr: string,
    seen?: { onSource: string | null; onTarget: string | null },
  ): Promise<Migration> {
    clearTimeout(flight.timer);
    const m = flight.migration;
    // Detached (a crash, or shutdown's last step): the next start settles it from the database.
    if (this.#closed && !seen) return m;
    const from = m.from;
    const to = m.to;
    const onSource = seen ? seen.onSource : await stateOf(flight.source, m.uuid);
    const onTarget = seen ? seen.onTarget : await stateOf(flight.target, m.uuid);
    const why = flight.endedBecause ? `${flight.endedBecause}; ` : "";
    let phase: "completed" | "failed" | "aborted";
    let message: string;
    let totals = {};
    if (code === 0 && onTarget === "running") {
      phase = "completed";
      const total = m.dataTotal > 0 ? m.dataTotal : flight.diskBytes;
      totals = { dataTotal: total, dataProcessed: total, dataRemaining: 0 };
      message = `completed: ${why}${m.domain} runs on ${to}${
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
      message = `${aborted ? "aborted" : "failed"}: ${why}${where}${
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
    for (const name of [from, to]) this.#options.hosts.get(name)?.services.inventory.invalidate();
    return this.#record(done);
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

/** `domstate` of a domain on a host: null when the host does not know it; throws when the host
 * does not answer or says something else. */
async function strictStateOf(runner: VirshRunner, uuid: string): Promise<string | null> {
  const out = await runner.run(domStateArgs(uuid), { allowFailure: true });
  if (out.code === 0) return out.stdout.trim().split("\n")[0].trim();
  if (DOMAIN_NOT_FOUND.test(out.stderr)) return null;
  throw new VirshError({ argv: out.argv, code: out.code, stderr: out.stderr });
}

/** The outgoing migration job of a domain on its source host, or null when none runs. */
async function migrationJobOf(runner: VirshRunner, uuid: string): Promise<DomJobInfo | null> {
  const out = await runner.run(domJobInfoArgs(uuid), { allowFailure: true });
  if (out.code !== 0) {
    if (DOMAIN_NOT_FOUND.test(out.stderr)) return null;
    throw new VirshError({ argv: out.argv, code: out.code, stderr: out.stderr });
  }
  const info = parseDomJobInfoRaw(out.stdout);
  const running = info && (info.type === "bounded" || info.type === "unbounded");
  return running && info.operation !== JOB_OPERATION.migrationIn ? info : null;
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
