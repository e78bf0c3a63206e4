/**
 * The one place blockboard starts processes: virsh, with an argv array (never a shell), `-c URI`
 * always, `LC_ALL=C`, a deadline that kills, and caps on how many run at once.
 *
 * Calls run in lanes so that one kind cannot starve another: `short` calls (pages, the API,
 * resyncs, terminal lines that end by themselves) share `maxConcurrent` slots; `long` ones
 * (the `virsh event` listener, `--wait` streams that may run for minutes) have slots of their own
 * and never take a short one; `sampler` calls (the job monitor's once-a-second `blockjob --info`)
 * have reserved slots and borrow free short ones, so progress keeps moving when pages are busy.
 *
 * @module
 */
import { VirshError } from "./errors.ts";
import { Semaphore } from "./semaphore.ts";
import { killProcessGroup, spawnInOwnGroup } from "../process_group.ts";

/** What a finished virsh call printed. */
export interface VirshOutput {
  /** The arguments after the binary, `-c URI` included. */
  argv: string[];
  stdout: string;
  stderr: string;
  code: number;
}

/** Per-call options. */
export interface RunOptions {
  /** Kill the process after this many milliseconds (default: the runner's). */
  timeoutMs?: number;
  /** Abort (kill) the process early. */
  signal?: AbortSignal;
  /** Called with each chunk of stdout as it arrives (streaming commands). */
  onStdout?: (chunk: string) => void;
  /** Called with each chunk of stderr as it arrives (progress lines). */
  onStderr?: (chunk: string) => void;
  /** Return a non-zero exit as output instead of throwing (the terminal wants it). */
  allowFailure?: boolean;
  /**
   * Which slots the call takes (see the module doc). Default: `long` for a call without a deadline
   * (`timeoutMs: 0`), else `short`.
   */
  lane?: RunLane;
  /**
   * Who asked, copied into the call record: `terminal` for lines an operator typed (the terminal
   * audits and shows those itself, so the audit hook and the action echo skip them).
   */
  origin?: "terminal";
}

/** Slot pools of {@link SpawnRunner}; see the module doc. */
export type RunLane = "short" | "long" | "sampler";

/** A record of one virsh call, for the audit log and the terminal's echo of dashboard actions. */
export interface VirshCallRecord {
  argv: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: Date;
  durationMs: number;
  error?: VirshError;
  /** {@link RunOptions.origin} of the call. */
  origin?: "terminal";
}

/**
 * Runs virsh. Every consumer depends on this interface so that a persistent virsh session can
 * replace process-per-call later, and tests can count or refuse calls.
 */
export interface VirshRunner {
  /** The libvirt connection URI passed as `-c`. */
  readonly uri: string;
  /**
   * Runs `virsh -c URI ...args`. Resolves when virsh exits 0; rejects with {@link VirshError}
   * otherwise (unless `allowFailure`).
   */
  run(args: readonly string[], options?: RunOptions): Promise<VirshOutput>;
  /** Registers a listener for every finished call; returns an unsubscribe function. */
  onCall(listener: (record: VirshCallRecord) => void): () => void;
}

/** Options for {@link SpawnRunner}. */
export interface SpawnRunnerOptions {
  uri: string;
  /** Path or name of the virsh binary. */
  binary?: string;
  /** Default deadline per call. */
  timeoutMs?: number;
  /** How many short virsh calls may run at once (default 8). */
  maxConcurrent?: number;
  /** How many long-running calls (event listener, `--wait` streams) may run at once (default 16). */
  maxLong?: number;
  /** Slots reserved for the job sampler, on top of the short ones (default 2). */
  samplerReserved?: number;
}

/** The lane a call runs in. Pure. */
export function laneOf(options: RunOptions): RunLane {
  return options.lane ?? (options.timeoutMs === 0 ? "long" : "short");
}

/** Spawns one virsh process per call. */
export class SpawnRunner implements VirshRunner {
  readonly uri: string;
  readonly #binary: string;
  readonly #timeoutMs: number;
  readonly #slots: Semaphore;
  readonly #longSlots: Semaphore;
  readonly #samplerSlots: Semaphore;
  /** Process groups running now, killed by {@link close}. */
  readonly #running = new Set<() => void>();
  #closed = false;
  readonly #listeners = new Set<(record: VirshCallRecord) => void>();
  /** How many processes this runner has started (tests assert on it). */
  spawned = 0;

  constructor(options: SpawnRunnerOptions) {
    this.uri = options.uri;
    this.#binary = options.binary ?? "virsh";
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#slots = new Semaphore(options.maxConcurrent ?? 8);
    this.#longSlots = new Semaphore(options.maxLong ?? 16);
    this.#samplerSlots = new Semaphore(options.samplerReserved ?? 2);
  }

  /** Kills every virsh process group still running and refuses new calls (shutdown). */
  close(): Promise<void> {
    this.#closed = true;
    for (const kill of [...this.#running]) kill();
    return Promise.resolve();
  }

  /** A slot of the call's lane; a sampler call takes a free short slot when its own are busy. */
  #acquire(lane: RunLane): Promise<() => void> {
    if (lane === "long") return this.#longSlots.acquire();
    if (lane === "short") return this.#slots.acquire();
    const slot = this.#samplerSlots.tryAcquire() ?? this.#slots.tryAcquire();
    return slot ? Promise.resolve(slot) : this.#samplerSlots.acquire();
  }

  onCall(listener: (record: VirshCallRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<VirshOutput> {
    // A single argument would be parsed by virsh as a command string (`;` runs another command).
    if (args.length < 2 && !(args.length === 1 && /^[a-z-]+$/.test(args[0]))) {
      throw new VirshError({
        argv: [...args],
        code: null,
        stderr: "",
        kind: "invalid",
        message: "refusing to pass a single free-form argument to virsh",
      });
    }
    const argv = ["-c", this.uri, ...args];
    if (this.#closed) throw shuttingDown(argv);
    const release = await this.#acquire(laneOf(options));
    if (this.#closed) {
      release();
      throw shuttingDown(argv);
    }
    const startedAt = new Date();
    let record: VirshCallRecord | undefined;
    try {
      const output = await this.#spawn(argv, options);
      record = {
        argv,
        code: output.code,
        stdout: output.stdout,
        stderr: output.stderr,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        origin: options.origin,
      };
      if (output.code !== 0 && !options.allowFailure) {
        record.error = new VirshError({ argv, code: output.code, stderr: output.stderr });
        throw record.error;
      }
      return output;
    } catch (e) {
      if (!record) {
        const error = e instanceof VirshError
          ? e
          : new VirshError({ argv, code: null, stderr: String(e), kind: "failed" });
        record = {
          argv,
          code: null,
          stdout: "",
          stderr: error.stderr,
          startedAt,
          durationMs: Date.now() - startedAt.getTime(),
          error,
          origin: options.origin,
        };
        throw error;
      }
      throw e;
    } finally {
      release();
      for (const l of this.#listeners) {
        try {
          l(record!);
        } catch { /* a listener's failure must not break the call */ }
      }
    }
  }

  async #spawn(argv: string[], options: RunOptions): Promise<VirshOutput> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    // The child leads its own process group, so a deadline kills everything virsh started.
    const child = spawnInOwnGroup(this.#binary, argv, () =>
      new VirshError({
        argv,
        code: null,
        stderr: "setsid is missing (util-linux)",
        kind: "missing-binary",
      }));
    this.spawned++;
    let timedOut = false;
    const kill = () => killProcessGroup(child);
    const timer = timeoutMs > 0
      ? setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs)
      : undefined;
    const onAbort = () => kill();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    this.#running.add(kill);
    try {
      const [stdout, stderr, status] = await Promise.all([
        collect(child.stdout, options.onStdout),
        collect(child.stderr, options.onStderr),
        child.status,
      ]);
      if (timedOut) {
        throw new VirshError({ argv, code: null, stderr, kind: "timeout" });
      }
      if (
        status.code === 127 && stderr.includes(this.#binary) &&
        /No such file|not found/.test(stderr)
      ) {
        throw new VirshError({ argv, code: null, stderr, kind: "missing-binary" });
      }
      return { argv, stdout, stderr, code: status.code };
    } finally {
      this.#running.delete(kill);
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
}

function shuttingDown(argv: string[]): VirshError {
  return new VirshError({
    argv,
    code: null,
    stderr: "",
    kind: "failed",
    message: "blockboard is shutting down",
  });
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  onChunk?: (chunk: string) => void,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const bytes of stream) {
    const chunk = decoder.decode(bytes, { stream: true });
    text += chunk;
    if (onChunk && chunk) onChunk(chunk);
  }
  const rest = decoder.decode();
  if (rest) {
    text += rest;
    onChunk?.(rest);
  }
  return text;
}
