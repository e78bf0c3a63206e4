/**
 * The one place blockboard starts processes: virsh, with an argv array (never a shell), `-c URI`
 * always, `LC_ALL=C`, a deadline that kills, and a cap on how many run at once.
 *
 * @module
 */
import { VirshError } from "./errors.ts";

const SETSID = "setsid";

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
   * Who asked, copied into the call record: `terminal` for lines an operator typed (the terminal
   * audits and shows those itself, so the audit hook and the action echo skip them).
   */
  origin?: "terminal";
}

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
  /** How many virsh processes may run at once. */
  maxConcurrent?: number;
}

/** A counting semaphore: waiters queue in order. */
class Semaphore {
  #free: number;
  #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

/** Spawns one virsh process per call. */
export class SpawnRunner implements VirshRunner {
  readonly uri: string;
  readonly #binary: string;
  readonly #timeoutMs: number;
  readonly #slots: Semaphore;
  readonly #listeners = new Set<(record: VirshCallRecord) => void>();
  /** How many processes this runner has started (tests assert on it). */
  spawned = 0;

  constructor(options: SpawnRunnerOptions) {
    this.uri = options.uri;
    this.#binary = options.binary ?? "virsh";
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#slots = new Semaphore(options.maxConcurrent ?? 8);
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
    const release = await this.#slots.acquire();
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
    let child: Deno.ChildProcess;
    try {
      // `setsid` makes virsh the leader of its own process group, so a deadline can kill
      // everything it started; it execs directly (no shell, no fork) when run from here.
      child = new Deno.Command(SETSID, {
        args: [this.#binary, ...argv],
        env: { LC_ALL: "C", LANG: "C" },
        clearEnv: false,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new VirshError({
          argv,
          code: null,
          stderr: "setsid is missing (util-linux)",
          kind: "missing-binary",
        });
      }
      throw e;
    }
    this.spawned++;
    let timedOut = false;
    const pid = child.pid;
    const kill = () => {
      try {
        Deno.kill(-pid, "SIGKILL");
      } catch {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    };
    const timer = timeoutMs > 0
      ? setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs)
      : undefined;
    const onAbort = () => kill();
    options.signal?.addEventListener("abort", onAbort, { once: true });
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
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
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
