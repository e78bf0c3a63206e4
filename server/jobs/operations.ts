/**
 * Starting and controlling block jobs: each operation validates against the domain's current
 * XML, holds the disk's lock (a second operation in flight gets {@link JobConflictError}),
 * re-checks the job state inside it, runs exactly one planned argv and reports the job to the
 * monitor at once.
 *
 * @module
 */
import { checkCopyDestination } from "../security/destinations.ts";
import { type QemuImgRunner, SpawnQemuImg } from "../images/runner.ts";
import {
  blockJobAbortArgs,
  blockJobBandwidthArgs,
  blockJobInfoArgs,
  blockJobPivotArgs,
  domStateArgs,
  dumpXmlArgs,
  listPersistentArgs,
} from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import { type BlockJobInfo, parseBlockJobInfo } from "../virsh/parse/blockjob.ts";
import { type DomainXml, parseDomainXml, type XmlDisk } from "../virsh/parse/domxml.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { JobConflictError, JobInputError, NotFoundError } from "./errors.ts";
import { chainMismatch, describeChain, type ResolvedLayer } from "./chain_match.ts";
import { fileIdentity, inspectReusedDestination, realPathOrNull } from "./reused_destination.ts";
import { DiskLocks } from "./lock.ts";
import { isActivePhase, isMirrorType, type Job, type JobPhase } from "./model.ts";
import type { JobMonitor } from "./monitor.ts";
import {
  assertBandwidth,
  type CommitInput,
  type CopyInput,
  type JobPlan,
  planCommit,
  planCopy,
  planPull,
  previewCommand,
  type PreviewRequest,
  type PullInput,
} from "./preview.ts";

/** A disk of a domain, by UUID (resolve names before calling). */
export interface DiskRef {
  uuid: string;
  target: string;
}

/** How to end a job with abort. */
export type AbortMode =
  /** Cancel the job (a ready copy then stays a consistent copy anyway). */
  | "abort"
  /** Only for a ready copy / active commit: keep the synchronized copy, stay on the source. */
  | "keep-copy";

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

/** A plan whose destination passed its checks, and the last check to repeat before running. */
interface CheckedPlan {
  plan: JobPlan;
  /** Repeats the destination checks synchronously, right before the virsh call (see startCopy). */
  recheck: () => void;
}

/** What an operation reads before acting. */
interface DiskContext {
  xml: DomainXml;
  disk: XmlDisk;
  persistent: boolean;
}

const RUNNING_STATES = new Set(["running", "paused", "blocked", "idle", "in shutdown"]);

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

  /** What is in flight on the disk (`copy`, `pivot`, ...), or null. */
  inFlight(ref: DiskRef): string | null {
    return this.#locks.heldBy(ref.uuid, ref.target);
  }

  /**
   * The plan (argv, chain afterwards, notes) for the form's preview; reads the live XML. A copy's
   * destination goes through the same checks as Start (so a refused one is refused here, with
   * the reason), and a reused destination's chain is what its header says.
   */
  async preview(ref: DiskRef, request: PreviewRequest): Promise<JobPlan> {
    const ctx = await this.#context(ref, { requireRunning: false });
    if (request.op === "copy") {
      const plan = planCopy(this.#planContext(ref, ctx), ctx.disk, request.input);
      return (await this.#checkCopy(ctx, request.input, plan)).plan;
    }
    return previewCommand(this.#planContext(ref, ctx), ctx.disk, request);
  }

  /** Starts a `blockpull`. */
  startPull(ref: DiskRef, input: PullInput): Promise<Job> {
    return this.#start(
      ref,
      "pull",
      (ctx) => planPull(this.#planContext(ref, ctx), ctx.disk, input),
    );
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
    return this.#start(
      ref,
      "copy",
      (ctx) => planCopy(this.#planContext(ref, ctx), ctx.disk, input),
      (plan, ctx) => this.#checkCopy(ctx, input, plan),
    );
  }

  /** The destination checks of a copy (see {@link startCopy}); the plan shows the real chain. */
  async #checkCopy(ctx: DiskContext, input: CopyInput, plan: JobPlan): Promise<CheckedPlan> {
    const dest = plan.dest!;
    const reuseExternal = input.reuseExternal === true;
    const roots = this.#options.storageRoots ?? null;
    const checkPlace = () => checkCopyDestination(dest, { reuseExternal, roots });
    checkPlace();
    if (!reuseExternal) return { plan, recheck: checkPlace };
    const inspected = await inspectReusedDestination(
      dest,
      plan.format!,
      ctx.disk,
      input.shallow === true,
      { qemuImg: this.#qemuImg, roots },
    );
    return {
      plan: {
        ...plan,
        chainAfter: inspected.chain.map((l) => ({ path: l.path, format: l.format })),
        notes: [
          ...plan.notes,
          `the chain afterwards is what ${dest}'s own header says (read with -f ${plan.format}): ${
            describeChain(inspected.chain)
          }`,
        ],
      },
      recheck: () => {
        checkPlace();
        if (fileIdentity(dest) !== inspected.identity) {
          throw new JobInputError("dest", "was replaced after its header was read");
        }
      },
    };
  }

  /** Starts a `blockcommit` (active commit when top is the active layer). */
  startCommit(ref: DiskRef, input: CommitInput): Promise<Job> {
    return this.#start(
      ref,
      "commit",
      (ctx) => planCommit(this.#planContext(ref, ctx), ctx.disk, input),
    );
  }

  /**
   * Pivots a ready copy / active commit: re-reads ready from the live XML, checks the copy still
   * exists, retries briefly on `not ready for pivot yet` and lock contention, then verifies the
   * live (and persistent) XML point at the new file; a mismatch goes into the job's message.
   */
  pivot(ref: DiskRef): Promise<Job> {
    return this.#locks.with(ref.uuid, ref.target, "pivot", async () => {
      const ctx = await this.#context(ref);
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
      await this.#ensureTracked(ref, ctx, info);
      this.#monitor.markReady(ref.uuid, ref.target);
      this.#monitor.setIntent(ref.uuid, ref.target, "pivot");
      try {
        await this.#runWithRetry(blockJobPivotArgs(ref.uuid, ref.target));
      } catch (e) {
        this.#monitor.setIntent(ref.uuid, ref.target, null);
        throw mapVirshError(e);
      }
      const planned = this.#plannedChains.get(diskKey(ref));
      this.#plannedChains.delete(diskKey(ref));
      const warnings = await this.#verifyPivot(
        ref,
        ctx,
        expected,
        planned?.[0]?.path === expected ? planned : null,
      );
      this.#monitor.finishJob(ref.uuid, ref.target, "pivoted", warnings.join(" ") || undefined);
      // The answer names the files that left the chain (read once the pivot is done).
      await this.#monitor.settled(ref.uuid, ref.target);
      return this.#monitor.getJob(ref.uuid, ref.target) ?? this.#missingJob(ref);
    });
  }

  /**
   * Aborts the disk's job. `keep-copy` requires a ready copy or active commit: the destination
   * (or base) stays a consistent image as of now and the domain stays on its source.
   */
  abort(ref: DiskRef, mode: AbortMode = "abort"): Promise<Job> {
    return this.#locks.with(
      ref.uuid,
      ref.target,
      mode === "keep-copy" ? "keep-copy" : "abort",
      async () => {
        const ctx = await this.#context(ref, { requireRunning: false });
        const info = await this.#jobInfo(ref);
        if (!info) {
          throw new JobConflictError(
            "no-job",
            `disk ${ref.target} has no block job to abort`,
          );
        }
        const ready = isMirrorType(info.type) && ctx.disk.mirror?.ready === "yes";
        if (mode === "keep-copy" && !ready) {
          throw new JobConflictError(
            isMirrorType(info.type) ? "not-ready" : "wrong-type",
            "keep copy needs a copy or active commit that is ready (mirroring)",
          );
        }
        await this.#ensureTracked(ref, ctx, info);
        if (ready) this.#monitor.markReady(ref.uuid, ref.target);
        this.#monitor.setIntent(ref.uuid, ref.target, mode);
        try {
          await this.#runner.run(blockJobAbortArgs(ref.uuid, ref.target));
        } catch (e) {
          this.#monitor.setIntent(ref.uuid, ref.target, null);
          throw mapVirshError(e);
        }
        this.#plannedChains.delete(diskKey(ref)); // no pivot will follow
        const phase: JobPhase = ready && (mode === "keep-copy" || info.type === "copy")
          ? "kept-copy"
          : "canceled";
        return this.#monitor.finishJob(ref.uuid, ref.target, phase) ?? this.#missingJob(ref);
      },
    );
  }

  /** Changes a running job's bandwidth limit (bytes/s, 0 = unlimited). */
  setBandwidth(ref: DiskRef, bandwidthBytes: number): Promise<Job> {
    assertBandwidth(bandwidthBytes);
    if (bandwidthBytes === undefined) throw new JobInputError("bandwidthBytes", "is required");
    return this.#locks.with(ref.uuid, ref.target, "bandwidth", async () => {
      const ctx = await this.#context(ref);
      const info = await this.#jobInfo(ref);
      if (!info) throw new JobConflictError("no-job", `disk ${ref.target} has no block job`);
      try {
        await this.#runner.run(blockJobBandwidthArgs(ref.uuid, ref.target, bandwidthBytes));
      } catch (e) {
        throw mapVirshError(e);
      }
      await this.#ensureTracked(ref, ctx, info);
      return (await this.#monitor.sampleNow(ref.uuid, ref.target)) ?? this.#missingJob(ref);
    });
  }

  // ---------------------------------------------------------------- internals

  #start(
    ref: DiskRef,
    what: string,
    plan: (ctx: DiskContext) => JobPlan,
    check?: (plan: JobPlan, ctx: DiskContext) => Promise<CheckedPlan>,
  ): Promise<Job> {
    return this.#locks.with(ref.uuid, ref.target, what, async () => {
      const ctx = await this.#context(ref);
      const checked = await check?.(plan(ctx), ctx);
      const planned = checked?.plan ?? plan(ctx);
      if (ctx.disk.mirror || await this.#jobInfo(ref)) {
        throw new JobConflictError(
          "job-exists",
          `disk ${ref.target} already has a block job; finish or abort it first`,
        );
      }
      // From here to the spawn only the runner's slot wait remains: see startCopy.
      checked?.recheck();
      this.#monitor.beginJob({
        uuid: ref.uuid,
        domain: ctx.xml.name,
        target: ref.target,
        type: planned.type,
        bandwidthBytes: bandwidthOf(planned.argv),
        source: ctx.disk.chain[0].path,
        chain: ctx.disk.chain.map((l) => l.path),
        startedBy: this.#options.startedBy?.() ?? undefined,
        ...(planned.dest !== undefined ? { dest: planned.dest } : {}),
        ...(planned.base !== undefined ? { base: planned.base } : {}),
        ...(planned.top !== undefined ? { top: planned.top } : {}),
      });
      try {
        await this.#runner.run(planned.argv);
      } catch (e) {
        this.#monitor.discardJob(ref.uuid, ref.target);
        throw mapVirshError(e);
      }
      if (isMirrorType(planned.type)) this.#plannedChains.set(diskKey(ref), planned.chainAfter);
      const job = this.#monitor.confirmJob(ref.uuid, ref.target) ?? this.#missingJob(ref);
      // First sample right away so the page shows real numbers, not zeros.
      return (await this.#monitor.sampleNow(ref.uuid, ref.target).catch(() => null)) ?? job;
    });
  }

  async #context(ref: DiskRef, opts: { requireRunning?: boolean } = {}): Promise<DiskContext> {
    let xml: DomainXml;
    let state: string;
    let persistent: boolean;
    try {
      const [xmlOut, stateOut, persistentOut] = await Promise.all([
        this.#runner.run(dumpXmlArgs(ref.uuid)),
        this.#runner.run(domStateArgs(ref.uuid)),
        this.#runner.run(listPersistentArgs()),
      ]);
      xml = parseDomainXml(xmlOut.stdout);
      state = stateOut.stdout.trim().split("\n")[0].trim();
      persistent = parseUuidList(persistentOut.stdout).includes(ref.uuid);
    } catch (e) {
      throw mapVirshError(e);
    }
    const disk = xml.disks.find((d) => d.target === ref.target);
    if (!disk) throw new NotFoundError(`domain ${xml.name} has no disk ${ref.target}`);
    if ((opts.requireRunning ?? true) && !RUNNING_STATES.has(state)) {
      throw new JobConflictError(
        "not-running",
        `domain ${xml.name} is ${state}; block jobs need a running domain`,
      );
    }
    return { xml, disk, persistent };
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
   * Makes sure the monitor tracks the disk's active job (it may have started elsewhere): a
   * resync adopts it; if that fails, the job is registered from what this operation read.
   */
  async #ensureTracked(ref: DiskRef, ctx: DiskContext, info: BlockJobInfo): Promise<void> {
    const tracked = () => {
      const job = this.#monitor.getJob(ref.uuid, ref.target);
      return job !== null && isActivePhase(job.phase);
    };
    if (tracked()) return;
    await this.#monitor.resync(ref.uuid).catch(() => undefined);
    if (tracked()) return;
    const mirror = ctx.disk.mirror?.path;
    this.#monitor.beginJob({
      uuid: ref.uuid,
      domain: ctx.xml.name,
      target: ref.target,
      type: info.type,
      bandwidthBytes: info.bandwidth,
      source: ctx.disk.chain[0]?.path,
      chain: ctx.disk.chain.map((l) => l.path),
      adopted: true,
      ...(info.type === "copy" && mirror ? { dest: mirror } : {}),
      ...(info.type === "active-commit" && mirror ? { base: mirror } : {}),
    });
    this.#monitor.confirmJob(ref.uuid, ref.target);
  }

  /** The file the disk should run on after the pivot. */
  #pivotTarget(ref: DiskRef, info: BlockJobInfo, ctx: DiskContext): string | null {
    if (info.type === "copy") return ctx.disk.mirror?.path ?? null;
    const job = this.#monitor.getJob(ref.uuid, ref.target);
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

  /**
   * After a pivot: the running domain's whole chain against the planned one (jobs blockboard
   * started; otherwise its active layer), and the persistent definition's active layer. A
   * difference comes back as a loud warning for the job's message.
   */
  async #verifyPivot(
    ref: DiskRef,
    ctx: DiskContext,
    expected: string | null,
    planned: JobPlan["chainAfter"] | null,
  ): Promise<string[]> {
    if (!expected) {
      return ["blockboard could not tell which file the disk should now use; check its XML."];
    }
    const warnings: string[] = [];
    const check = async (inactive: boolean) => {
      const label = inactive ? "persistent definition" : "running domain";
      try {
        const xml = parseDomainXml(
          (await this.#runner.run(dumpXmlArgs(ref.uuid, { inactive }))).stdout,
        );
        const chain = xml.disks.find((d) => d.target === ref.target)?.chain ?? [];
        if (!inactive && planned !== null) {
          const resolve = (layers: readonly { path: string; format: string | null }[]) =>
            Promise.all(layers.map(async (l): Promise<ResolvedLayer> => ({
              path: l.path,
              realPath: await realPathOrNull(l.path),
              format: l.format,
            })));
          const [want, got] = await Promise.all([resolve(planned), resolve(chain)]);
          const mismatch = chainMismatch(want, got);
          if (mismatch !== null) {
            warnings.push(
              `CHAIN MISMATCH after the pivot: ${mismatch}. libvirt now reports ${ref.target} as ${
                describeChain(got)
              }; blockboard planned ${
                describeChain(want)
              }. The guest may be reading data from the wrong files: check virsh dumpxml and the images before it writes more.`,
            );
          }
          return;
        }
        const source = chain[0]?.path ?? null;
        if (source !== expected) {
          warnings.push(
            `Warning: after the pivot the ${label} uses ${
              source ?? "no file"
            } for ${ref.target}, not ${expected}; check it (virsh dumpxml${
              inactive ? " --inactive" : ""
            }) before the next restart.`,
          );
        }
      } catch (e) {
        warnings.push(
          `Warning: could not re-read the ${label} after the pivot: ${(e as Error).message}.`,
        );
      }
    };
    await check(false);
    if (ctx.persistent) await check(true);
    return warnings;
  }

  async #exists(path: string): Promise<boolean> {
    try {
      await this.#lstat(path);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
  }

  #missingJob(ref: DiskRef): never {
    throw new NotFoundError(`no job is known for disk ${ref.target}`);
  }
}

/** Key of a disk in per-disk maps. */
function diskKey(ref: DiskRef): string {
  return `${ref.uuid}/${ref.target}`;
}

/** The `--bandwidth N` value of a planned argv (0 when none). */
function bandwidthOf(argv: readonly string[]): number {
  const i = argv.indexOf("--bandwidth");
  return i < 0 ? 0 : Number(argv[i + 1]);
}

/**
 * Maps virsh failures that are really state conflicts or unknown names to the typed errors;
 * everything else passes through as {@link VirshError} (502, or 503 when unreachable).
 */
export function mapVirshError(e: unknown): unknown {
  if (!(e instanceof VirshError)) return e;
  switch (e.kind) {
    case "busy":
      return new JobConflictError("job-exists", e.message);
    case "no-job":
      return new JobConflictError("no-job", e.message);
    case "not-ready":
      return new JobConflictError("not-ready", e.message);
    case "not-running":
      return new JobConflictError("not-running", e.message);
    case "not-found":
      return new NotFoundError(e.message);
    default:
      return e;
  }
}
