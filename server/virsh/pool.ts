/**
 * A {@link VirshRunner} that answers short commands from a few long-lived interactive virsh
 * processes ({@link VirshSession}) and hands everything long-running or streamed (`event`,
 * `--wait`, calls with a progress callback or an abort signal) to a process-per-call runner.
 *
 * Starting virsh costs 40–100 ms and a libvirt connection per call; a command inside a running
 * session costs about 1 ms (see `deno task bench:session`).
 *
 * @module
 */
import type { RunOptions, VirshCallRecord, VirshOutput, VirshRunner } from "./runner.ts";
import { VirshSession } from "./session.ts";
import { classifyLibvirtMessage, cleanLibvirtMessage, VirshError } from "./errors.ts";
import { mutatingSubcommand } from "./display.ts";
import { UnquotableArgumentError } from "./quote.ts";

/** Options of {@link SessionPoolRunner}. */
export interface SessionPoolOptions {
  /** Runs what a session cannot: streams, `--wait`, aborts. Its URI is the pool's. */
  spawn: VirshRunner;
  /** How many virsh sessions run at most (default 2). */
  size?: number;
  /** Path or name of the virsh binary. */
  binary?: string;
  /** Default deadline per command (ms). */
  timeoutMs?: number;
}

/** Subcommands that never end by themselves or wait for a job: always spawned. */
const LONG_RUNNING = new Set(["event", "console", "domdisplay"]);

/** True when a call must run in a process of its own rather than inside a session. */
export function needsOwnProcess(args: readonly string[], options: RunOptions): boolean {
  return LONG_RUNNING.has(args[0]) || args.includes("--wait") || !!options.signal ||
    !!options.onStdout || !!options.onStderr;
}

/** See the module documentation. */
export class SessionPoolRunner implements VirshRunner {
  readonly uri: string;
  readonly #spawn: VirshRunner;
  readonly #size: number;
  readonly #binary?: string;
  readonly #timeoutMs: number;
  readonly #sessions: VirshSession[] = [];
  readonly #idle: VirshSession[] = [];
  readonly #waiters: ((session: VirshSession) => void)[] = [];
  readonly #listeners = new Set<(record: VirshCallRecord) => void>();
  /** How many session processes were started (tests and benchmarks read it). */
  started = 0;
  #closed = false;

  constructor(options: SessionPoolOptions) {
    this.uri = options.spawn.uri;
    this.#spawn = options.spawn;
    this.#size = Math.max(1, options.size ?? 2);
    this.#binary = options.binary;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    options.spawn.onCall((record) => this.#emit(record));
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

  async #runInSession(args: readonly string[], options: RunOptions): Promise<VirshOutput> {
    const session = await this.#acquire();
    try {
      return await session.run(args, options.timeoutMs ?? this.#timeoutMs);
    } finally {
      this.#release(session);
    }
  }

  /** Kills every session; later calls are spawned. */
  close(): void {
    this.#closed = true;
    for (const s of this.#sessions) s.close();
    this.#sessions.length = 0;
    this.#idle.length = 0;
  }

  async #acquire(): Promise<VirshSession> {
    while (this.#idle.length > 0) {
      const s = this.#idle.pop()!;
      if (s.alive) return s;
      this.#forget(s);
    }
    if (this.#sessions.length < this.#size) {
      const s = new VirshSession({ uri: this.uri, binary: this.#binary });
      this.started++;
      this.#sessions.push(s);
      s.exited.then(() => this.#forget(s));
      return s;
    }
    return await new Promise((resolve) => this.#waiters.push(resolve));
  }

  #release(session: VirshSession): void {
    if (!session.alive) {
      this.#forget(session);
      // A waiter gets a fresh session in place of the dead one.
      const next = this.#waiters.shift();
      if (next) this.#acquire().then(next);
      return;
    }
    const next = this.#waiters.shift();
    if (next) next(session);
    else this.#idle.push(session);
  }

  #forget(session: VirshSession): void {
    const i = this.#sessions.indexOf(session);
    if (i >= 0) this.#sessions.splice(i, 1);
    const j = this.#idle.indexOf(session);
    if (j >= 0) this.#idle.splice(j, 1);
  }

  #emit(record: VirshCallRecord): void {
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch { /* a listener's failure must not break the call */ }
    }
  }
}
