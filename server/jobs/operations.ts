/**
 * Starting and controlling block jobs: each operation validates against the domain's current
 * XML, holds the disk's lock (a second operation in flight gets {@link JobConflictError}),
 * re-checks the job state inside it, runs exactly one planned argv and reports the job to the
 * monitor's {@link JobBook} at once, through the book's transitions only.
 *
 * Over 300 lines on purpose: the six operations share one table of disk locks and the chains
 * planned at start that a pivot is verified against; what each reads or checks lives in its own
 * module (disk_context.ts, copy_checks.ts, pivot_verify.ts, can_start.ts, plan.ts).
 *
 * @module
 */
import { type QemuImgRunner, SpawnQemuImg } from "../images/runner.ts";
import {
  blockJobAbortArgs,
  blockJobBandwidthArgs,
  blockJobInfoArgs,
  blockJobPivotArgs,
} from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import { type BlockJobInfo, parseBlockJobInfo } from "../virsh/parse/blockjob.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { DiskRef } from "./book.ts";
import { canStartJob } from "./can_start.ts";
import { checkCopy, type CheckedPlan } from "./copy_checks.ts";
import { type DiskContext, mapVirshError, readDiskContext } from "./disk_context.ts";
import { phaseAfterAbort } from "./ending.ts";
import { JobConflictError, JobInputError, NotFoundError } from "./errors.ts";
import { DiskLocks } from "./lock.ts";
import { isActivePhase, isMirrorType, type Job } from "./model.ts";
import type { JobMonitor } from "./monitor.ts";
import {
  type CommitInput,
  type CopyInput,
  type JobPlan,
  type JobRequest,
  planJob,
  type PullInput,
} from "./plan.ts";
import { verifyPivot } from "./pivot_verify.ts";
import { assertBandwidth } from "./plan_checks.ts";
import { filesInUse } from "./cleanup.ts";
import { ownedJobRefusal } from "./owners.ts";
import { isLocalUri, volumeExists } from "../volumes/remote_copy.ts";

export type { DiskRef };

/** How to end a job with abort. */
export type AbortMode =
  /** Cancel the job (a ready copy then stays a consistent copy anyway). */
  | "abort"
  /** Only for a ready copy / active commit: keep the synchronized copy, stay on the source. */
  | "keep-copy";

/**
 * Who controls a job: absent for the operator (routes, forms), the owner's id for the move or
 * migration that owns it (see `owners.ts`), which alone may pivot, abort or throttle it.
 */
export interface ControlledBy {
  ownerId?: string;
}

/** Options of {@link JobOperations}. */
export interface JobOperationsOptions {
  /**
   * Directories copy destinations must lie in (see `checkCopyDestination`); null or absent: no
   * root restriction, the other destination checks still apply.
   */
  storageRoots?: readonly string[] | null;
  /** Pivot attempts for `not ready for pivot yet` / state-lock errors; default 5. */
  pivotAttempts?: number;
  /** Delay between pivot attempts; default 400 ms. */
  pivotRetryDelayMs?: number;
  /** Injected for unit tests. */
  lstat?: (path: string) => Promise<Deno.FileInfo>;
  /** Reads reused destinations' headers; default: `qemu-img` on PATH. */
  qemuImg?: QemuImgRunner;
  /** Who is asking (the signed-in user), recorded as the job's `startedBy`; null: unknown. */
  startedBy?: () => string | null;
}

/** Starts, pivots, aborts and throttles block jobs; see the module doc. */
export class JobOperations {
  readonly #runner: VirshRunner;
  readonly #monitor: JobMonitor;
  readonly #locks = new DiskLocks();
  readonly #options: JobOperationsOptions;
  readonly #lstat: (path: string) => Promise<Deno.FileInfo>;
  readonly #qemuImg: QemuImgRunner;
  /** The chain each disk should have after its pending pivot, as planned at start (uuid/target). */
  readonly #plannedChains = new Map<string, JobPlan["chainAfter"]>();

  constructor(runner: VirshRunner, monitor: JobMonitor, options: JobOperationsOptions = {}) {
    this.#runner = runner;
    this.#monitor = monitor;
    this.#options = options;
    this.#lstat = options.lstat ?? Deno.lstat;
    this.#qemuImg = options.qemuImg ?? new SpawnQemuImg();
  }

  /**
   * The plan (argv, chain afterwards, notes) for the form's preview; reads the live XML. A copy's
   * destination goes through the same checks as Start (so a refused one is refused here, with
   * the reason), and a reused destination's chain is what its header says.
   */
  async preview(ref: DiskRef, request: JobRequest): Promise<JobPlan> {
    const ctx = await readDiskContext(this.#runner, ref, { requireRunning: false });
    const plan = planJob(this.#planContext(ref, ctx), ctx.disk, request);
    await this.#checkDeletes(ref, plan);
    if (request.op !== "copy") return plan;
    return (await this.#checkCopy(ctx, request.input, plan)).plan;
  }

  /** Starts a `blockpull`. */
  startPull(ref: DiskRef, input: PullInput): Promise<Job> {
    return this.#start(ref, { op: "pull", input });
  }

  /**
   * Starts a `blockcopy` (format from the disk's XML unless given; never probed). Under the
   * disk's lock: the destination rule, a reused destination's header chain, then the job-state
   * check, then the destination rule again and the reused file's identity, synchronously right
   * before virsh runs. What keeps a local user from swapping a directory in the remaining
   * instant is the rule itself (no directory on the way is writable by anyone but root or
   * blockboard's user; see server/security/destinations.ts); the re-check catches changes made
   * while the slower checks ran.
   */
  startCopy(ref: DiskRef, input: CopyInput): Promise<Job> {
    return this.#start(ref, { op: "copy", input });
  }

  /**
   * Starts a `blockcopy --reuse-external` into a storage-pool volume blockboard has just created
   * through libvirt with an explicit format (and backing), on a host whose files blockboard cannot
   * stat (`server/volumes/remote_copy.ts`): the local-file destination checks do not apply there;
   * libvirt made the file and its header.
   */
  startCopyIntoCreatedVolume(
    ref: DiskRef,
    input: CopyInput & { reuseExternal: true },
  ): Promise<Job> {
    return this.#start(ref, { op: "copy", input }, { createdVolume: true });
  }

  /** Starts a `blockcommit` (active commit when top is the active layer). */
  startCommit(ref: DiskRef, input: CommitInput): Promise<Job> {
    return this.#start(ref, { op: "commit", input });
  }

  /**
   * Pivots a ready copy / active commit: re-reads ready from the live XML, checks the copy still
   * exists, retries briefly on `not ready for pivot yet` and lock contention, then verifies the
   * live (and persistent) XML point at the new file; a mismatch goes into the job's message.
   */
  pivot(ref: DiskRef, by: ControlledBy = {}): Promise<Job> {
    this.#assertNotOwned(ref, by);
    return this.#locks.with(ref, "pivot", async () => {
      const ctx = await readDiskContext(this.#runner, ref);
      const info = await this.#jobInfo(ref);
      if (!info) {
        throw new JobConflictError("no-job", `disk ${ref.target} has no block job to pivot`);
      }
      if (!isMirrorType(info.type)) {
        throw new JobConflictError(
          "wrong-type",
          `a ${info.type} job cannot be pivoted; it completes by itself`,
        );
      }
      const mirror = ctx.disk.mirror;
      if (mirror?.ready !== "yes") {
        throw new JobConflictError(
          "not-ready",
          "the job is not ready yet: pivot is possible once it is mirroring",
        );
      }
      const expected = this.#pivotTarget(ref, info, ctx);
      if (info.type === "copy" && !(await this.#exists(mirror.path))) {
        throw new JobConflictError(
          "dest-missing",
          `the copy ${mirror.path} no longer exists on disk; pivoting would run the domain on a deleted file. Abort the job instead`,
        );
      }
      const book = this.#monitor.book;
      await this.#ensureTracked(ref, ctx, info);
      book.markReady(ref);
      book.setIntent(ref, "pivot");
      try {
        await this.#runWithRetry(blockJobPivotArgs(ref.uuid, ref.target));
      } catch (e) {
        book.setIntent(ref, null);
        throw mapVirshError(e);
      }
      const planned = this.#plannedChains.get(diskKey(ref));
      this.#plannedChains.delete(diskKey(ref));
      const warnings = await verifyPivot(this.#runner, ref, {
        expected,
        planned: planned?.[0]?.path === expected ? planned ?? null : null,
        persistent: ctx.persistent,
      });
      book.finish(ref, "pivoted", warnings.join(" ") || undefined);
      // The answer names the files that left the chain (read once the pivot is done).
      await this.#monitor.settled(ref);
      return book.get(ref) ?? missingJob(ref);
    });
  }

  /**
   * Aborts the disk's job. `keep-copy` requires a ready copy or active commit: the destination
   * (or base) stays a consistent image as of now and the domain stays on its source.
   */
  abort(ref: DiskRef, mode: AbortMode = "abort", by: ControlledBy = {}): Promise<Job> {
    this.#assertNotOwned(ref, by);
    return this.#locks.with(ref, mode, async () => {
      const ctx = await readDiskContext(this.#runner, ref, { requireRunning: false });
      const info = await this.#jobInfo(ref);
      if (!info) {
        throw new JobConflictError("no-job", `disk ${ref.target} has no block job to abort`);
      }
      const ready = isMirrorType(info.type) && ctx.disk.mirror?.ready === "yes";
      if (mode === "keep-copy" && !ready) {
        throw new JobConflictError(
          isMirrorType(info.type) ? "not-ready" : "wrong-type",
          "keep copy needs a copy or active commit that is ready (mirroring)",
        );
      }
      const book = this.#monitor.book;
      await this.#ensureTracked(ref, ctx, info);
      if (ready) book.markReady(ref);
      book.setIntent(ref, mode);
      try {
        await this.#runner.run(blockJobAbortArgs(ref.uuid, ref.target));
      } catch (e) {
        book.setIntent(ref, null);
        throw mapVirshError(e);
      }
      this.#plannedChains.delete(diskKey(ref)); // no pivot will follow
      const phase = phaseAfterAbort({ type: info.type, wasReady: ready, intent: mode });
      return book.finish(ref, phase) ?? missingJob(ref);
    });
  }

  /** Changes a running job's bandwidth limit (bytes/s, 0 = unlimited). */
  setBandwidth(ref: DiskRef, bandwidthBytes: number, by: ControlledBy = {}): Promise<Job> {
    this.#assertNotOwned(ref, by);
    assertBandwidth(bandwidthBytes);
    if (bandwidthBytes === undefined) throw new JobInputError("bandwidthBytes", "is required");
    return this.#locks.with(ref, "bandwidth", async () => {
      const ctx = await readDiskContext(this.#runner, ref);
      const info = await this.#jobInfo(ref);
      if (!info) throw new JobConflictError("no-job", `disk ${ref.target} has no block job`);
      try {
        await this.#runner.run(blockJobBandwidthArgs(ref.uuid, ref.target, bandwidthBytes));
      } catch (e) {
        throw mapVirshError(e);
      }
      await this.#ensureTracked(ref, ctx, info);
      return (await this.#monitor.sampleNow(ref)) ?? missingJob(ref);
    });
  }

  // ---------------------------------------------------------------- internals

  /** The one guard of pivot, abort, keep copy and bandwidth: an owned job is its owner's. */
  #assertNotOwned(ref: DiskRef, by: ControlledBy): void {
    const owner = this.#monitor.book.owners.of(ref);
    if (owner && owner.id !== by.ownerId) {
      throw new JobConflictError("owned", ownedJobRefusal(ref.target, owner));
    }
  }

  #start(
    ref: DiskRef,
    request: JobRequest,
    options: { createdVolume?: boolean } = {},
  ): Promise<Job> {
    return this.#locks.with(ref, request.op, async () => {
      const ctx = await readDiskContext(this.#runner, ref, { requireRunning: false });
      const refusal = canStartJob({ name: ctx.xml.name, state: ctx.state }, ctx.disk);
      if (refusal?.kind === "not-running") {
        throw new JobConflictError("not-running", refusal.message);
      }
      if (refusal) throw new JobInputError("target", refusal.message);
      const plan = planJob(this.#planContext(ref, ctx), ctx.disk, request);
      const checked = request.op === "copy" && !options.createdVolume
        ? await this.#checkCopy(ctx, request.input, plan)
        : null;
      const planned = checked?.plan ?? plan;
      await this.#checkDeletes(ref, planned);
      if (ctx.disk.mirror || await this.#jobInfo(ref)) {
        throw new JobConflictError(
          "job-exists",
          `disk ${ref.target} already has a block job; finish or abort it first`,
        );
      }
      // From here to the spawn only the runner's slot wait remains: see startCopy.
      checked?.recheck();
      const book = this.#monitor.book;
      book.begin({
        uuid: ref.uuid,
        domain: ctx.xml.name,
        target: ref.target,
        type: planned.type,
        bandwidthBytes: planned.bandwidthBytes,
        source: ctx.disk.chain[0].path,
        chain: ctx.disk.chain.map((l) => l.path),
        startedBy: this.#options.startedBy?.() ?? undefined,
        command: planned.commandLine,
        ...(planned.options !== undefined ? { options: planned.options } : {}),
        ...(planned.dest !== undefined ? { dest: planned.dest } : {}),
        ...(planned.base !== undefined ? { base: planned.base } : {}),
        ...(planned.top !== undefined ? { top: planned.top } : {}),
      });
      try {
        await this.#runner.run(planned.argv);
      } catch (e) {
        book.discard(ref);
        throw startRefusal(e);
      }
      if (isMirrorType(planned.type)) this.#plannedChains.set(diskKey(ref), planned.chainAfter);
      const job = book.confirm(ref) ?? missingJob(ref);
      // First sample right away so the page shows real numbers, not zeros.
      return (await this.#monitor.sampleNow(ref).catch(() => null)) ?? job;
    });
  }

  #checkCopy(ctx: DiskContext, input: CopyInput, plan: JobPlan): Promise<CheckedPlan> {
    return checkCopy({ disk: ctx.disk, input, plan }, {
      qemuImg: this.#qemuImg,
      roots: this.#options.storageRoots ?? null,
    });
  }

  /**
   * Commit `--delete`: refuses (409, changing nothing) when another domain, or another disk of
   * this one, still uses a layer libvirt would delete (the rule of {@link filesInUse}).
   */
  async #checkDeletes(ref: DiskRef, plan: JobPlan): Promise<void> {
    if (!plan.deletes?.length) return;
    let inUse;
    try {
      inUse = await filesInUse(plan.deletes, { runner: this.#runner, except: ref });
    } catch (e) {
      throw mapVirshError(e);
    }
    if (!inUse.length) return;
    const first = inUse[0];
    const more = inUse.length > 1
      ? ` (and ${inUse.slice(1).map((u) => `${u.path}, used by ${u.usedBy}`).join("; ")})`
      : "";
    throw new JobConflictError(
      "in-use",
      `commit with delete would delete ${first.path}, which ${first.usedBy} still uses${more}. Commit without delete, or stop that domain from using it first.`,
    );
  }

  #planContext(ref: DiskRef, ctx: DiskContext) {
    return { uuid: ref.uuid, uri: this.#runner.uri, persistent: ctx.persistent };
  }

  async #jobInfo(ref: DiskRef): Promise<BlockJobInfo | null> {
    try {
      return parseBlockJobInfo(
        (await this.#runner.run(blockJobInfoArgs(ref.uuid, ref.target))).stdout,
      );
    } catch (e) {
      throw mapVirshError(e);
    }
  }

  /**
   * Makes sure the book follows the disk's active job (it may have started elsewhere): a resync
   * adopts it; if that fails, it is adopted from what this operation read.
   */
  async #ensureTracked(ref: DiskRef, ctx: DiskContext, info: BlockJobInfo): Promise<void> {
    const book = this.#monitor.book;
    const tracked = () => {
      const job = book.get(ref);
      return job !== null && isActivePhase(job.phase);
    };
    if (tracked()) return;
    await this.#monitor.resync(ref.uuid).catch(() => undefined);
    if (tracked()) return;
    book.adopt({ uuid: ref.uuid, domain: ctx.xml.name, disk: ctx.disk, info });
  }

  /** The file the disk should run on after the pivot. */
  #pivotTarget(ref: DiskRef, info: BlockJobInfo, ctx: DiskContext): string | null {
    if (info.type === "copy") return ctx.disk.mirror?.path ?? null;
    const job = this.#monitor.book.get(ref);
    if (job?.base && isActivePhase(job.phase)) return job.base;
    return ctx.disk.mirror?.path ?? null;
  }

  async #runWithRetry(argv: string[]): Promise<void> {
    const attempts = this.#options.pivotAttempts ?? 5;
    const delay = this.#options.pivotRetryDelayMs ?? 400;
    for (let attempt = 1;; attempt++) {
      try {
        await this.#runner.run(argv);
        return;
      } catch (e) {
        const retryable = e instanceof VirshError && (e.kind === "not-ready" || e.kind === "lock");
        if (!retryable || attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async #exists(path: string): Promise<boolean> {
    // A host other than this machine: its files are not ours to stat; libvirt knows the volume.
    if (!this.#options.lstat && !isLocalUri(this.#runner.uri)) {
      return await volumeExists(this.#runner, path);
    }
    try {
      await this.#lstat(path);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
  }
}

/**
 * A refused start as the operator should read it: `--keep-relative` on a chain with an absolute
 * backing name is the operator's choice to change (400 on `keepRelative`), not a libvirt fault.
 */
function startRefusal(e: unknown): unknown {
  if (
    e instanceof VirshError && /can't keep relative backing relationship/.test(e.libvirtMessage)
  ) {
    return new JobInputError(
      "keepRelative",
      `libvirt cannot keep the backing names relative: a backing file name in this chain is absolute (qemu-img info of the layers shows it); start without keep relative (libvirt said: ${e.libvirtMessage})`,
    );
  }
  return mapVirshError(e);
}

/** Key of a disk in per-disk maps. */
function diskKey(ref: DiskRef): string {
  return `${ref.uuid}/${ref.target}`;
}

function missingJob(ref: DiskRef): never {
  throw new NotFoundError(`no job is known for disk ${ref.target}`);
}
