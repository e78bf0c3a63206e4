/**
 * A {@link VirshRunner} that answers short commands from a few long-lived interactive virsh
 * processes ({@link VirshSession}) and hands everything long-running or streamed (`event`,
 * `--wait`, calls with a progress callback or an abort signal) to a process-per-call runner.
 *
 * Starting virsh costs 40–100 ms and a libvirt connection per call; a command inside a running
 * session costs about 1 ms (see `deno task bench:session`). The lanes of {@link SpawnRunner}
 * keep their meaning: short calls share `size` sessions, the job sampler has a session of its
 * own (so page loads never delay progress), long calls are spawned in their own lane.
 *
 * @module
 */
import { laneOf, type RunOptions, type VirshCallRecord, type VirshOutput } from "./runner.ts";
import type { VirshRunner } from "./runner.ts";
import { VirshSession } from "./session.ts";
import { classifyLibvirtMessage, cleanLibvirtMessage, VirshError } from "./errors.ts";
import { mutatingSubcommand } from "./display.ts";
import { UnquotableArgumentError } from "./quote.ts";

/** The process-per-call runner a pool hands long calls to. */
export interface ClosableRunner extends VirshRunner {
  /** Kills whatever still runs (shutdown). */
  close(): Promise<void>;
}

/** Options of {@link SessionPoolRunner}. */
export interface SessionPoolOptions {
  /** Runs what a session cannot: streams, `--wait`, aborts. Its URI is the pool's. */
  spawn: ClosableRunner;
  /** How many virsh sessions serve short calls (default 2); the sampler has one more. */
  size?: number;
  /** Path or name of the virsh binary. */
  binary?: string;
  /** Default deadline per command (ms). */
  timeoutMs?: number;
}

/** Subcommands that never end by themselves or wait for a job: always spawned. */
const LONG_RUNNING = new Set(["event", "qemu-monitor-event", "console"]);

/** True when a call must run in a process of its own rather than inside a session. Pure. */
export function needsOwnProcess(args: readonly string[], options: RunOptions): boolean {
  return laneOf(options) === "long" || LONG_RUNNING.has(args[0]) || args.includes("--wait") ||
    !!options.signal || !!options.onStdout || !!options.onStderr;
}

/** A fixed number of sessions handed out one caller at a time, restarted when one dies. */
class SessionSet {
  readonly #all: VirshSession[] = [];
  readonly #idle: VirshSession[] = [];
  readonly #waiters: ((session: VirshSession) => void)[] = [];
  /** Sessions started so far. */
  started = 0;

  constructor(
    readonly size: number,
    readonly start: () => VirshSession,
  ) {}

  async acquire(): Promise<VirshSession> {
    while (this.#idle.length > 0) {
      const s = this.#idle.pop()!;
      if (s.alive) return s;
      this.#forget(s);
    }
    if (this.#all.length < this.size) {
      const s = this.start();
      this.started++;
      this.#all.push(s);
      s.exited.then(() => this.#forget(s));
      return s;
    }
    return await new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(session: VirshSession): void {
    if (!session.alive) {
      this.#forget(session);
      // The next waiter gets a fresh session in place of the dead one.
      const next = this.#waiters.shift();
      if (next) this.acquire().then(next);
      return;
    }
    const next = this.#waiters.shift();
    if (next) next(session);
    else this.#idle.push(session);
  }

  close(): void {
    for (const s of this.#all) s.close();
    this.#all.length = 0;
    this.#idle.length = 0;
  }

  #forget(session: VirshSession): void {
    const i = this.#all.indexOf(session);
    if (i >= 0) this.#all.splice(i, 1);
    const j = this.#idle.indexOf(session);
    if (j >= 0) this.#idle.splice(j, 1);
  }
}

/** See the module documentation. */
export class SessionPoolRunner implements ClosableRunner {
  readonly uri: string;
  readonly #spawn: ClosableRunner;
  readonly #timeoutMs: number;
  readonly #short: SessionSet;
  readonly #sampler: SessionSet;
  readonly #listeners = new Set<(record: VirshCallRecord) => void>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(options: SessionPoolOptions) {
    this.uri = options.spawn.uri;
    this.#spawn = options.spawn;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    const start = () => new VirshSession({ uri: this.uri, binary: options.binary });
    this.#short = new SessionSet(Math.max(1, options.size ?? 2), start);
    this.#sampler = new SessionSet(1, start);
    this.#unsubscribe = options.spawn.onCall((record) => this.#emit(record));
  }

  /** How many session processes were started (tests and benchmarks read it). */
  get started(): number {
    return this.#short.started + this.#sampler.started;
  }

  onCall(listener: (record: VirshCallRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<VirshOutput> {
    if (this.#closed || needsOwnProcess(args, options)) return await this.#spawn.run(args, options);
    const argv = ["-c", this.uri, ...args];
    const startedAt = new Date();
    let output: VirshOutput | undefined;
    let error: VirshError | undefined;
    try {
      if (args.length === 0) {
        throw new VirshError({
          argv,
          code: null,
          stderr: "",
          kind: "invalid",
          message: "no command",
        });
      }
      output = await this.#runInSession(args, options);
      // libvirtd restarted under an idle session: a read is safe to ask again of a fresh one.
      if (
        output.code !== 0 && mutatingSubcommand(args) === null &&
        classifyLibvirtMessage(cleanLibvirtMessage(output.stderr)) === "unreachable"
      ) {
        output = await this.#runInSession(args, options);
      }
      if (output.code !== 0 && !options.allowFailure) {
        error = new VirshError({ argv, code: output.code, stderr: output.stderr });
        throw error;
      }
      return output;
    } catch (e) {
      error = e instanceof VirshError
        ? e
        : e instanceof UnquotableArgumentError
        ? new VirshError({ argv, code: null, stderr: "", kind: "invalid", message: e.message })
        : new VirshError({ argv, code: null, stderr: String(e), kind: "failed" });
      throw error;
    } finally {
      this.#emit({
        argv,
        code: output?.code ?? null,
        stdout: output?.stdout ?? "",
        stderr: output?.stderr ?? error?.stderr ?? "",
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        ...(error ? { error } : {}),
        ...(options.origin ? { origin: options.origin } : {}),
      });
    }
  }

  /** Kills every session and everything the spawning runner still runs (shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#short.close();
    this.#sampler.close();
    this.#unsubscribe();
    await this.#spawn.close();
  }

  async #runInSession(args: readonly string[], options: RunOptions): Promise<VirshOutput> {
    const set = laneOf(options) === "sampler" ? this.#sampler : this.#short;
    const session = await set.acquire();
    try {
      return await session.run(args, options.timeoutMs ?? this.#timeoutMs);
    } finally {
      set.release(session);
    }
  }

  #emit(record: VirshCallRecord): void {
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch { /* a listener's failure must not break the call */ }
    }
  }
}
