/**
 * The move engine: {@link MoveService} over the job monitor and operations. One move runs as one
 * async task per move: copy the backing layers (offline: every layer), create the new tops and
 * mirror the active layers into them (`JobOperations.startCopy` with the move's copies as the
 * expected backing chain), wait for every disk to be ready, switch (manual or auto), verify.
 * Every step is saved, so a restart ({@link MoveEngine.resume}) continues or cancels it. A cancel
 * or a failure before the switch aborts the mirrors and removes exactly the files and directories
 * the move created; the old chain is never written.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createImageArgs } from "../images/commands.ts";
import { DEFAULT_HOST_NAME } from "../hosts/model.ts";
import { QemuImgError } from "../images/errors.ts";
import { type ReportingQemuImg, SpawnQemuImg } from "../images/runner.ts";
import { JobConflictError, JobInputError, NotFoundError } from "../jobs/errors.ts";
import { assertBandwidth } from "../jobs/plan_checks.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { JobOperations } from "../jobs/operations.ts";
import { claimDisks, moveOwner } from "../jobs/owners.ts";
import { blockJobInfoArgs, domStateArgs, dumpXmlArgs } from "../virsh/commands.ts";
import { parseBlockJobInfo } from "../virsh/parse/blockjob.ts";
import { parseDomainXml } from "../virsh/parse/domxml.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { isUuid } from "../virsh/values.ts";
import { checkMoveDestination, checkNewFile, missingDirectories } from "./destination.ts";
import { gatherDomain } from "./gather.ts";
import { movesUnavailable } from "./host_files.ts";
import { copyLayer, verifyLayerCopy } from "./layer_copy.ts";
import {
  isFinishedMove,
  type Move,
  type MoveLayer,
  type MovePlan,
  type MoveRequest,
  type MoveService,
  type MoveState,
} from "./model.ts";
import { defineMovedDisks } from "./offline.ts";
import { planMove } from "./plan.ts";
import { MoveRate, moveTotals, ProgressThrottle } from "./progress.ts";
import { MemoryMoveStore, type MoveRecord, type MoveStore } from "./store.ts";
import { verifyMovedChains } from "./verify.ts";
import type { MoveLease, MoveQueue } from "./queue.ts";

/** Options of {@link MoveEngine}. */
export interface MoveEngineOptions {
  runner: VirshRunner;
  monitor: JobMonitor;
  operations: JobOperations;
  /**
   * convert/compare/create/info (long deadline); default qemu-img on PATH, 1 h per call. Its
   * calls are reported through `onCall` (the app audits them there: `Services.moveQemuImg`).
   */
  qemuImg?: ReportingQemuImg;
  /** Where moves are kept; default in memory. */
  store?: MoveStore;
  /** Storage roots every new file must lie in; null: no root restriction. */
  storageRoots?: readonly string[] | null;
  /** Name or UUID → UUID (the inventory); default: UUIDs only. */
  resolveDomain?: (nameOrUuid: string) => Promise<{ uuid: string; name: string } | null>;
  /** Who is asking (the signed-in user), recorded as the move's `startedBy`; null: unknown. */
  startedBy?: () => string | null;
  /**
   * The host-wide queue (`--max-moves`, `--bandwidth-budget`): a move waits `planned` until it
   * gives the move a slot, and copies at the allowance it gives. Absent: moves start at once.
   */
  queue?: MoveQueue;
  /** The dashboard host this engine moves the domains of (recorded on each move; default local). */
  host?: string;
  /** Mirror polling interval (default 500 ms). */
  pollMs?: number;
  /** Listeners hear a move's mere progress at most once per this many ms (default 250). */
  progressIntervalMs?: number;
  /** The clock: start and end times, and the progress throttle. */
  now?: () => Date;
}

/** A move being run. */
interface Running {
  record: MoveRecord;
  abort: AbortController;
  cancelRequested: boolean;
  pivotRequested: boolean;
  /** Any disk switched: from then on nothing the move created may be removed. */
  switched: boolean;
  rate: MoveRate;
  /** Progress ticks reach the listeners at most once per window (see `progressIntervalMs`). */
  throttle: ProgressThrottle;
  done: Promise<void>;
  /** Bytes/s the move copies at now (its own limit, or less under the queue's budget); 0: none. */
  allowance: number;
  /** While the move waits in the queue: ends its task without running it; null once it runs. */
  leave: (() => void) | null;
}

/** Thrown inside a move's task to end it with a sentence. */
class MoveFailure extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** See the module doc. */
export class MoveEngine implements MoveService {
  readonly #o: MoveEngineOptions;
  readonly #qemuImg: ReportingQemuImg;
  readonly #store: MoveStore;
  readonly #moves = new Map<string, MoveRecord>();
  readonly #running = new Map<string, Running>();
  readonly #listeners = new Set<(move: Move) => void>();
  #starting = new Set<string>();
  /** Set while detaching: the queue empties, but the order saved stays the operators'. */
  #detaching = false;

  constructor(options: MoveEngineOptions) {
    this.#o = options;
    this.#qemuImg = options.qemuImg ?? new SpawnQemuImg({ timeoutMs: 3_600_000 });
    this.#store = options.store ?? new MemoryMoveStore();
    for (const record of this.#store.list()) this.#moves.set(record.move.id, record);
    options.queue?.onChange((change) => {
      if (change.kind === "order") this.#saveQueueOrder();
    });
  }

  async plan(domain: string, request: MoveRequest): Promise<MovePlan> {
    const elsewhere = movesUnavailable(this.#o.host ?? DEFAULT_HOST_NAME, this.#o.runner.uri);
    if (elsewhere) throw new JobInputError("host", elsewhere);
    const uuid = await this.#resolve(domain);
    const active = this.#activeMoveOf(uuid);
    if (active) {
      throw new JobConflictError(
        "busy",
        `a move of this domain is already running (${active.move.id}); wait for it or cancel it`,
      );
    }
    const gathered = await gatherDomain(
      { runner: this.#o.runner, qemuImg: this.#qemuImg },
      uuid,
      request,
    );
    const plan = planMove({
      domain: gathered.xml.name,
      uuid,
      uri: this.#o.runner.uri,
      persistent: gathered.persistent,
      mode: gathered.mode,
      disks: gathered.disks,
      request,
    });
    checkMoveDestination(plan, { roots: this.#o.storageRoots ?? null });
    for (const disk of plan.disks) {
      const job = this.#o.monitor.getJob(uuid, disk.target);
      const libvirtJob = plan.mode === "live"
        ? parseBlockJobInfo(
          (await this.#o.runner.run(blockJobInfoArgs(uuid, disk.target))).stdout,
        )
        : null;
      if (libvirtJob || (job && (job.phase === "running" || job.phase === "ready"))) {
        throw new JobConflictError(
          "job-exists",
          `disk ${disk.target} already has a block job; finish or abort it first`,
        );
      }
    }
    return plan;
  }

  async start(domain: string, request: MoveRequest): Promise<Move> {
    const elsewhere = movesUnavailable(this.#o.host ?? DEFAULT_HOST_NAME, this.#o.runner.uri);
    if (elsewhere) throw new JobInputError("host", elsewhere);
    const uuid = await this.#resolve(domain);
    if (this.#starting.has(uuid) || this.#activeMoveOf(uuid)) {
      throw new JobConflictError(
        "busy",
        `a move of this domain is already running (${
          this.#activeMoveOf(uuid)?.move.id ?? "starting"
        }); wait for it or cancel it`,
      );
    }
    this.#starting.add(uuid);
    try {
      const plan = await this.plan(uuid, request);
      const now = this.#now();
      const record: MoveRecord = {
        plan,
        createdFiles: [],
        createdDirs: [],
        move: {
          id: crypto.randomUUID(),
          domain: plan.domain,
          uuid,
          state: "planned",
          destDir: plan.destDir,
          disks: plan.disks.map((d) => ({
            target: d.target,
            job: null,
            layers: d.layers.map((l): MoveLayer => ({
              from: l.from,
              to: l.to,
              format: l.format,
              bytes: l.bytes,
              doneBytes: 0,
              state: "pending",
            })),
          })),
          bytesTotal: plan.bytesTotal,
          bytesDone: 0,
          rateBytesPerSecond: null,
          etaSeconds: null,
          startedAt: now,
          finishedAt: null,
          message: null,
          pivot: plan.pivot,
          bandwidthBytes: plan.bandwidthBytes,
          mode: plan.mode,
          startedBy: this.#o.startedBy?.() ?? null,
          host: this.#o.host ?? DEFAULT_HOST_NAME,
        },
      };
      this.#moves.set(record.move.id, record);
      this.#save(record);
      this.#launch(record);
      return structuredClone(record.move);
    } finally {
      this.#starting.delete(uuid);
    }
  }

  list(): Move[] {
    const all = [...this.#moves.values()].map((r) => structuredClone(r.move));
    return all.sort((a, b) =>
      Number(isFinishedMove(a.state)) - Number(isFinishedMove(b.state)) ||
      b.startedAt.localeCompare(a.startedAt)
    );
  }

  get(id: string): Move | undefined {
    const r = this.#moves.get(id);
    return r ? structuredClone(r.move) : undefined;
  }

  /** The plan a move was started with. */
  getPlan(id: string): MovePlan | undefined {
    const r = this.#moves.get(id);
    return r ? structuredClone(r.plan) : undefined;
  }

  async pivot(id: string): Promise<Move> {
    const run = this.#runningOrThrow(id);
    const state = run.record.move.state;
    if (state !== "ready") {
      throw new JobConflictError(
        "not-ready",
        state === "pivoting"
          ? "the move is already switching"
          : `the move is ${state}; Switch is possible once every disk is ready`,
      );
    }
    run.pivotRequested = true;
    await run.done;
    return this.get(id)!;
  }

  async cancel(id: string): Promise<Move> {
    const record = this.#moves.get(id);
    if (!record) throw new NotFoundError(`no move ${id}`);
    if (isFinishedMove(record.move.state)) {
      throw new JobConflictError("no-job", `the move has already ended (${record.move.state})`);
    }
    const run = this.#running.get(id);
    if (!run) throw new JobConflictError("no-job", "the move is not running");
    if (run.leave && this.#o.queue?.cancel(id)) {
      run.record.move.message = "Canceled while waiting in the queue: nothing was written.";
      this.#end(run, "canceled");
      run.leave();
      await run.done;
      return this.get(id)!;
    }
    if (run.record.move.state === "pivoting" || run.switched) {
      throw new JobConflictError(
        "busy",
        "the move is switching the disks to the new chain; it can no longer be canceled",
      );
    }
    run.cancelRequested = true;
    run.abort.abort(new MoveFailure("canceled"));
    await run.done;
    return this.get(id)!;
  }

  /**
   * Changes a running move's bandwidth limit (bytes/s, 0 = unlimited): at once for its mirrors,
   * from the next layer on for its layer copies (a running `qemu-img convert` keeps its rate).
   * For the host-wide bandwidth budget.
   */
  async setBandwidth(id: string, bandwidthBytes: number): Promise<Move> {
    assertBandwidth(bandwidthBytes);
    const run = this.#runningOrThrow(id);
    const { move, plan } = run.record;
    plan.bandwidthBytes = bandwidthBytes;
    move.bandwidthBytes = bandwidthBytes;
    // Under a queue the new own limit is shared out again; the queue then calls #allow.
    if (this.#o.queue?.setOwnLimit(id, bandwidthBytes)) {
      this.#changed(run);
      return this.get(id)!;
    }
    await this.#allow(run, bandwidthBytes);
    return this.get(id)!;
  }

  /** A new allowance: at once for the mirrors, from the next layer on for the layer copies. */
  async #allow(run: Running, bandwidthBytes: number): Promise<void> {
    run.allowance = bandwidthBytes;
    const { move } = run.record;
    for (const disk of move.disks) {
      if (disk.job?.phase !== "mirroring" && disk.job?.phase !== "ready") continue;
      await this.#o.operations.setBandwidth(
        { uuid: move.uuid, target: disk.target },
        bandwidthBytes,
        { ownerId: move.id },
      );
      disk.job = { ...disk.job, bandwidthBytes };
    }
    this.#changed(run);
  }

  onChange(listener: (move: Move) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Picks up the moves the database holds unfinished (after a restart): layer copies already
   * verified are compared again and kept, a copy cut short is removed and made again, a mirror
   * libvirt still runs is adopted, a lost one started again on a fresh top.
   */
  async resume(): Promise<void> {
    await this.#o.monitor.resync().catch(() => undefined);
    this.#detaching = false;
    // Moves that ran before the restart first, oldest first; then the waiting ones in the order
    // operators left them (Up/Down), oldest first where they never reordered.
    const records = [...this.#moves.values()].sort(resumeOrder);
    for (const record of records) {
      if (isFinishedMove(record.move.state) || this.#running.has(record.move.id)) continue;
      this.#launch(record, true);
    }
  }

  /** Cancels nothing; waits for the tasks of running moves to settle (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /**
   * Stops following the running moves without ending them (shutdown; a new engine over the same
   * store resumes them): kills layer copies in flight, leaves mirrors running.
   */
  async detach(): Promise<void> {
    // Taking the waiting moves out of this queue must not rewrite the order they keep.
    this.#detaching = true;
    for (const run of this.#running.values()) {
      // A waiting move leaves the queue untouched (still planned): the next start queues it again.
      if (run.leave && this.#o.queue?.cancel(run.record.move.id)) run.leave();
      else run.abort.abort(new MoveFailure("detached"));
    }
    await this.idle();
  }

  // ------------------------------------------------------------------ the task

  #launch(record: MoveRecord, resumed = false): void {
    const run: Running = {
      record,
      abort: new AbortController(),
      cancelRequested: false,
      pivotRequested: false,
      switched: record.move.disks.some((d) => d.job?.phase === "pivoted"),
      rate: new MoveRate(),
      throttle: new ProgressThrottle(
        this.#o.progressIntervalMs ?? 250,
        () => (this.#o.now?.() ?? new Date()).getTime(),
      ),
      done: Promise.resolve(),
      allowance: record.plan.bandwidthBytes,
      leave: null,
    };
    this.#running.set(record.move.id, run);
    const queue = this.#o.queue;
    if (!queue) {
      run.done = this.#run(run, resumed)
        .catch((e) => console.error(`move ${record.move.id} stopped unexpectedly`, e))
        .finally(() => this.#running.delete(record.move.id));
      return;
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    run.done = promise.finally(() => this.#running.delete(record.move.id));
    run.leave = resolve;
    // The run happens when a slot frees, inside whatever ended the move before it; it runs in
    // the context of the request that started it instead (its virsh and qemu-img calls are
    // audited as that caller's, not as the one whose move happened to end first).
    const inStartContext = AsyncLocalStorage.snapshot();
    // A resumed move that was running before the restart goes to the front; one that was waiting
    // takes its turn again (the order of the database: oldest first).
    queue.enqueue(record.move.id, (lease: MoveLease) =>
      inStartContext(async () => {
        run.leave = null;
        run.allowance = lease.bandwidth() ?? 0;
        const stop = lease.onBandwidthChange((bytes) =>
          this.#allow(run, bytes ?? 0).catch((e) =>
            console.error(`move ${record.move.id}: could not apply a new bandwidth`, e)
          )
        );
        try {
          await this.#run(run, resumed);
        } catch (e) {
          console.error(`move ${record.move.id} stopped unexpectedly`, e);
        } finally {
          stop();
          resolve();
        }
      }), {
      bandwidthBytes: record.plan.bandwidthBytes,
      front: resumed && record.move.state !== "planned",
    });
  }

  async #run(run: Running, resumed: boolean): Promise<void> {
    const { move, plan } = run.record;
    const targets = move.disks.map((d) => d.target);
    const release = claimDisks(this.#o.monitor.book.owners, move.uuid, targets, moveOwner(move.id));
    try {
      if (resumed) await this.#reverifyCopies(run);
      await this.#ensureDirectories(run);
      await this.#copyLayers(run);
      if (plan.mode === "live") {
        if (!run.switched) {
          await this.#mirror(run, resumed);
          await this.#waitForSwitch(run);
        }
        await this.#switch(run);
      } else {
        await this.#assertChainUnchanged(run, true);
        this.#setState(run, "pivoting");
        await defineMovedDisks(this.#o.runner, plan, () => run.switched = true);
        const problems = await verifyMovedChains(
          this.#o.runner,
          move.uuid,
          plan.disks,
          plan.destDir,
          {
            live: false,
            inactive: true,
          },
        );
        this.#finish(run, problems);
      }
    } catch (e) {
      if (run.abort.signal.aborted && !run.cancelRequested) return; // detached: resumed later
      await this.#endBeforeSwitch(run, e);
    } finally {
      release();
    }
  }

  async #reverifyCopies(run: Running): Promise<void> {
    const { move, plan } = run.record;
    const live = plan.mode === "live";
    for (const [d, disk] of move.disks.entries()) {
      for (const [i, layer] of disk.layers.entries()) {
        const planned = plan.disks[d].layers[i];
        if (planned.action !== "copy" || layer.state === "pending") continue;
        if (layer.state === "copied") {
          try {
            await verifyLayerCopy(planned, this.#qemuImg, live);
            continue;
          } catch { /* copied again below */ }
        }
        await Deno.remove(layer.to).catch(() => undefined);
        layer.state = "pending";
        layer.doneBytes = 0;
      }
    }
    this.#changed(run);
  }

  async #ensureDirectories(run: Running): Promise<void> {
    const { plan } = run.record;
    for (const dir of missingDirectories(plan)) {
      checkNewFile(dir, { roots: this.#o.storageRoots ?? null });
      run.record.createdDirs.push(dir);
      this.#save(run.record);
      await Deno.mkdir(dir, { mode: 0o755 });
    }
  }

  async #copyLayers(run: Running): Promise<void> {
    const { move, plan } = run.record;
    const live = plan.mode === "live";
    for (const [d, disk] of plan.disks.entries()) {
      // Bottom up: each copy's backing name must name a verified copy.
      for (let i = disk.layers.length - 1; i >= 0; i--) {
        const planned = disk.layers[i];
        const layer = move.disks[d].layers[i];
        if (planned.action !== "copy" || layer.state === "copied") continue;
        if (move.state !== "copying") this.#setState(run, "copying");
        if (live) await this.#assertRunning(move.uuid);
        layer.state = "copying";
        this.#changed(run);
        await copyLayer(planned, {
          qemuImg: this.#qemuImg,
          destination: { roots: this.#o.storageRoots ?? null },
          created: (path) => this.#created(run, path),
          onProgress: (fraction) => {
            layer.doneBytes = Math.round(layer.bytes * fraction);
            this.#changed(run, false);
          },
          onVerifying: () => {
            layer.state = "verifying";
            layer.doneBytes = layer.bytes;
            this.#changed(run);
          },
          signal: run.abort.signal,
          bandwidthBytes: run.allowance,
          sourceInUse: live,
        });
        layer.state = "copied";
        layer.doneBytes = layer.bytes;
        this.#changed(run);
      }
    }
  }

  async #mirror(run: Running, resumed: boolean): Promise<void> {
    const { move, plan } = run.record;
    for (const [d, disk] of plan.disks.entries()) {
      const state = move.disks[d];
      const top = disk.layers[0];
      const ref = { uuid: move.uuid, target: disk.target };
      if (resumed && state.job !== null) {
        // A mirror that outlived blockboard: adopted if libvirt still runs it into our top.
        const xml = parseDomainXml((await this.#o.runner.run(dumpXmlArgs(move.uuid))).stdout);
        const now = xml.disks.find((x) => x.target === disk.target);
        if (now?.mirror?.path === top.to) {
          await this.#o.monitor.resync(move.uuid).catch(() => undefined);
          continue;
        }
        if (now?.chain[0]?.path === top.to) {
          // Switched while blockboard was away (plain virsh): the domain runs on the new top.
          run.switched = true;
          state.job = { ...state.job, phase: "pivoted" };
          continue;
        }
        // Lost: start again on a fresh top (the old one may hold clusters the guest since freed).
        await Deno.remove(top.to).catch(() => undefined);
        state.job = null;
      }
      if (state.job !== null) continue;
      run.abort.signal.throwIfAborted();
      await this.#assertRunning(move.uuid);
      await this.#assertChainUnchanged(run, false);
      checkNewFile(top.to, { roots: this.#o.storageRoots ?? null });
      this.#created(run, top.to);
      await this.#qemuImg.run(createImageArgs(
        top.to,
        top.format,
        top.virtualSize,
        top.backingName !== null && top.backingFormat !== null
          ? { name: top.backingName, format: top.backingFormat }
          : null,
      ));
      run.abort.signal.throwIfAborted();
      const job = await this.#o.operations.startCopy(ref, {
        dest: top.to,
        format: top.format,
        shallow: disk.layers.length > 1,
        reuseExternal: true,
        bandwidthBytes: run.allowance || undefined,
        ...plan.tuning,
        expectedBacking: disk.chainAfter.slice(1),
      });
      state.job = {
        phase: "mirroring",
        cur: job.cur,
        end: job.end,
        bandwidthBytes: job.bandwidthBytes,
      };
      state.layers[0].state = "mirroring";
      if (move.state !== "mirroring") this.#setState(run, "mirroring");
      else this.#changed(run);
    }
    if (move.state !== "mirroring") this.#setState(run, "mirroring");
  }

  /** Polls the mirrors until all are ready and the switch is due (auto, or Switch pressed). */
  async #waitForSwitch(run: Running): Promise<void> {
    const { move } = run.record;
    const poll = this.#o.pollMs ?? 500;
    for (;;) {
      run.abort.signal.throwIfAborted();
      let allReady = true;
      for (const disk of move.disks) {
        if (disk.job?.phase === "pivoted") continue; // switched while blockboard was away
        const job = this.#o.monitor.getJob(move.uuid, disk.target);
        if (!job) {
          allReady = false;
          continue;
        }
        if (job.phase === "failed" || job.phase === "canceled" || job.phase === "interrupted") {
          throw new MoveFailure(
            `the mirror of ${disk.target} ended (${job.phase})${
              job.phase === "interrupted" ? ": the domain stopped" : ""
            }${job.message ? `: ${job.message}` : ""}`,
          );
        }
        if (job.phase !== "running" && job.phase !== "ready") {
          throw new MoveFailure(`the mirror of ${disk.target} ended unexpectedly (${job.phase})`);
        }
        const ready = job.phase === "ready";
        disk.job = {
          phase: ready ? "ready" : "mirroring",
          cur: job.cur,
          end: job.end,
          bandwidthBytes: job.bandwidthBytes,
          notConverging: job.notConverging ?? null,
        };
        const top = disk.layers[0];
        top.bytes = Math.max(job.end, 0);
        top.doneBytes = ready ? top.bytes : Math.min(job.cur, top.bytes);
        top.state = ready ? "ready" : "mirroring";
        if (!ready) allReady = false;
      }
      if (allReady && move.state !== "ready") this.#setState(run, "ready");
      else this.#changed(run, false);
      if (allReady && (move.pivot === "auto" || run.pivotRequested)) return;
      await Promise.race([
        sleep(poll),
        new Promise((r) => run.abort.signal.addEventListener("abort", r, { once: true })),
      ]);
    }
  }

  async #switch(run: Running): Promise<void> {
    const { move, plan } = run.record;
    this.#setState(run, "pivoting");
    const notes: string[] = [];
    for (const disk of move.disks) {
      if (disk.job?.phase === "pivoted") continue;
      const job = await this.#o.operations.pivot({ uuid: move.uuid, target: disk.target }, {
        ownerId: move.id,
      });
      run.switched = true;
      disk.job = {
        ...(disk.job ?? { cur: job.cur, end: job.end, bandwidthBytes: 0 }),
        phase: "pivoted",
      };
      for (const l of disk.layers) {
        l.state = "done";
        l.doneBytes = l.bytes;
      }
      if (job.message) notes.push(`${disk.target}: ${job.message}`);
      this.#changed(run);
    }
    const problems = await verifyMovedChains(this.#o.runner, move.uuid, plan.disks, plan.destDir, {
      live: true,
      inactive: plan.persistent,
    });
    this.#finish(run, problems.length ? [...problems, ...notes] : []);
  }

  #finish(run: Running, problems: string[]): void {
    const { move, plan } = run.record;
    for (const disk of move.disks) {
      for (const l of disk.layers) {
        l.state = "done";
        l.doneBytes = l.bytes;
      }
    }
    if (problems.length) {
      move.message = `CHAIN MISMATCH after the switch: ${
        problems.join("; ")
      }. The domain uses the new files; check virsh dumpxml before it writes more.`;
      this.#end(run, "failed");
      return;
    }
    move.message = `${move.disks.map((d) => d.target).join(", ")} ${
      plan.mode === "live" ? "now run" : "are now defined"
    } on the new chain under ${plan.destDir}, verified layer by layer; the old files are untouched (Clean up removes them).`;
    this.#end(run, "done");
  }

  /** Cancel or failure before any switch: abort mirrors, remove what the move created. */
  async #endBeforeSwitch(run: Running, cause: unknown): Promise<void> {
    const { move } = run.record;
    const canceled = run.cancelRequested;
    const reason = canceled ? "" : sentenceOf(cause);
    if (run.switched) {
      move.message =
        `the move stopped after switching: ${reason}. The domain uses the new files; nothing was removed.`;
      this.#end(run, "failed");
      return;
    }
    const problems: string[] = [];
    for (const disk of move.disks) {
      if (disk.job === null || disk.job.phase === "aborted") continue;
      const ref = { uuid: move.uuid, target: disk.target };
      try {
        const xml = parseDomainXml((await this.#o.runner.run(dumpXmlArgs(move.uuid))).stdout);
        const mirror = xml.disks.find((x) => x.target === disk.target)?.mirror;
        if (mirror && mirror.path === disk.layers[0].to) {
          await this.#o.operations.abort(ref, "abort", { ownerId: move.id });
        }
      } catch (e) {
        if (
          !(e instanceof JobConflictError) && !/not running|failed to get domain/.test(String(e))
        ) {
          problems.push(`could not abort the mirror of ${disk.target}: ${sentenceOf(e)}`);
        }
      }
      disk.job = { ...disk.job, phase: "aborted" };
    }
    if (problems.length === 0) problems.push(...await this.#removeCreated(run));
    for (const disk of move.disks) {
      for (const l of disk.layers) {
        if (l.state !== "pending") l.state = canceled ? "canceled" : "failed";
      }
    }
    const kept = problems.length ? ` ${problems.join("; ")}.` : "";
    move.message = canceled
      ? `Canceled: the domain stays on its old chain; the files the move created were removed.${kept}`
      : `${reason}. The domain stays on its old chain; the files the move created were removed.${kept}`;
    this.#end(run, canceled ? "canceled" : "failed");
  }

  async #removeCreated(run: Running): Promise<string[]> {
    const problems: string[] = [];
    const { createdFiles, createdDirs } = run.record;
    for (const path of [...createdFiles].reverse()) {
      try {
        await Deno.remove(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) {
          problems.push(`could not remove ${path}: ${(e as Error).message}`);
        }
      }
    }
    for (const dir of [...createdDirs].reverse()) {
      try {
        await Deno.remove(dir);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) {
          problems.push(`could not remove the directory ${dir}: ${(e as Error).message}`);
        }
      }
    }
    return problems;
  }

  /**
   * The copies are of the chain as planned: if it changed since (a commit or pull run meanwhile,
   * a disk swapped), mirroring onto them or defining them would show the guest old data.
   */
  async #assertChainUnchanged(run: Running, offline: boolean): Promise<void> {
    const { move, plan } = run.record;
    if (offline) {
      const state = (await this.#o.runner.run(domStateArgs(move.uuid))).stdout.trim();
      if (state !== "shut off") {
        throw new MoveFailure(
          `the domain is ${state} now; an offline move only changes a shut-off domain's definition`,
        );
      }
    }
    const xml = parseDomainXml(
      (await this.#o.runner.run(dumpXmlArgs(move.uuid, { inactive: offline }))).stdout,
    );
    for (const disk of plan.disks) {
      const now = xml.disks.find((d) => d.target === disk.target)?.chain ?? [];
      const want = offline ? disk.layers.slice(0, 1) : disk.layers;
      const same = (offline ? now.length >= 1 : now.length === want.length) &&
        want.every((l, i) => now[i]?.path === l.from && now[i]?.format === l.format);
      if (!same) {
        throw new MoveFailure(
          `the chain of ${disk.target} changed during the move (now ${
            now.map((l) => l.path).join(" → ") || "nothing"
          }); the copies are of the old chain, so the move stops`,
        );
      }
    }
  }

  async #assertRunning(uuid: string): Promise<void> {
    const state = (await this.#o.runner.run(domStateArgs(uuid))).stdout.trim().split("\n")[0];
    if (state.trim() !== "running" && state.trim() !== "paused") {
      throw new MoveFailure(`the domain is ${state.trim()}: a live move needs it running`);
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  #created(run: Running, path: string): void {
    if (!run.record.createdFiles.includes(path)) run.record.createdFiles.push(path);
    this.#save(run.record);
  }

  #setState(run: Running, state: MoveState): void {
    run.record.move.state = state;
    this.#changed(run);
  }

  #end(run: Running, state: MoveState): void {
    const move = run.record.move;
    move.state = state;
    move.finishedAt = this.#now();
    move.rateBytesPerSecond = null;
    move.etaSeconds = null;
    Object.assign(move, moveTotals(move));
    this.#changed(run);
  }

  /**
   * Recomputes the totals, saves (unless a mere progress tick) and tells the listeners (a tick
   * at most once per `progressIntervalMs`: the numbers are kept current either way, for `get`).
   */
  #changed(run: Running, save = true): void {
    const move = run.record.move;
    Object.assign(move, moveTotals(move));
    if (!isFinishedMove(move.state)) {
      Object.assign(move, run.rate.sample(Date.now(), move));
    }
    if (save) this.#save(run.record);
    if (!run.throttle.pass(!save)) return;
    const copy = structuredClone(move);
    for (const listener of this.#listeners) {
      try {
        listener(copy);
      } catch (e) {
        console.error("move listener failed", e);
      }
    }
  }

  #save(record: MoveRecord): void {
    try {
      this.#store.save(record);
    } catch (e) {
      console.error(`could not save move ${record.move.id}`, e);
    }
  }

  /** Saves each waiting move's place, so a restart queues them in the same order. */
  #saveQueueOrder(): void {
    if (this.#detaching || !this.#o.queue) return;
    this.#o.queue.snapshot().waiting.forEach((id, rank) => {
      const record = this.#moves.get(id);
      if (!record || record.queueRank === rank) return;
      record.queueRank = rank;
      this.#save(record);
    });
  }

  #activeMoveOf(uuid: string): MoveRecord | undefined {
    return [...this.#moves.values()].find((r) =>
      r.move.uuid === uuid && !isFinishedMove(r.move.state)
    );
  }

  #runningOrThrow(id: string): Running {
    const record = this.#moves.get(id);
    if (!record) throw new NotFoundError(`no move ${id}`);
    const run = this.#running.get(id);
    if (!run) throw new JobConflictError("no-job", `the move has ended (${record.move.state})`);
    return run;
  }

  async #resolve(domain: string): Promise<string> {
    if (this.#o.resolveDomain) {
      const found = await this.#o.resolveDomain(domain);
      if (!found) throw new NotFoundError(`No domain named ${JSON.stringify(domain)}`);
      return found.uuid;
    }
    if (!isUuid(domain)) throw new JobInputError("domain", "must be a domain UUID");
    return domain;
  }

  #now(): string {
    return (this.#o.now?.() ?? new Date()).toISOString();
  }
}

/**
 * The order a restart queues unfinished moves in: those that had started (not `planned`) first,
 * then waiting ones by their saved queue rank; the start time breaks ties. Pure.
 */
export function resumeOrder(a: MoveRecord, b: MoveRecord): number {
  const waited = (r: MoveRecord) => Number(r.move.state === "planned");
  const rank = (r: MoveRecord) => r.queueRank ?? Number.MAX_SAFE_INTEGER;
  return waited(a) - waited(b) || (waited(a) ? rank(a) - rank(b) : 0) ||
    a.move.startedAt.localeCompare(b.move.startedAt);
}

/** A failure as one sentence for the move's message. */
function sentenceOf(e: unknown): string {
  if (e instanceof MoveFailure) return capitalise(e.message);
  if (e instanceof QemuImgError) {
    if (/No space left on device/i.test(e.stderr)) {
      return `The destination is full: ${e.message}`;
    }
    return `A qemu-img step failed: ${e.message}`;
  }
  if (e instanceof Error) return capitalise(e.message.replace(/\.$/, ""));
  return String(e);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
