/**
 * Runs `qemu-img` the way `server/virsh/runner.ts` runs virsh: an argv array (never a shell),
 * `LC_ALL=C`, a deadline that kills the whole process group, a cap on concurrent processes, and
 * typed {@link QemuImgError}s. It refuses any call without an explicit `-f qcow2|raw`: blockboard
 * never lets qemu-img probe a format.
 *
 * @module
 */
import { hasExplicitFormat } from "./commands.ts";
import { QemuImgError } from "./errors.ts";
import { killProcessGroup, spawnInOwnGroup } from "../process_group.ts";
import { type ConvertOptions, runConvert } from "./convert.ts";

export { hasExplicitFormat };

/** What a finished qemu-img call printed. */
export interface QemuImgOutput {
  /** The arguments after the binary. */
  argv: string[];
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs qemu-img; tests substitute a scripted one. */
export interface QemuImgRunner {
  /** Runs `qemu-img ...args`; rejects with {@link QemuImgError} unless it exits 0. */
  run(args: readonly string[]): Promise<QemuImgOutput>;
}

/**
 * A runner that also runs long converts and reports every process it spawned (the move
 * engine's, whose writes are audited): {@link SpawnQemuImg}, or a test's.
 */
export interface ReportingQemuImg extends QemuImgRunner {
  /** Runs a `qemu-img convert -p` to its end (see `runConvert`). */
  convert(args: readonly string[], options?: ConvertOptions): Promise<void>;
  /** Registers a listener for every finished process; returns the unsubscribe. */
  onCall(listener: (record: QemuImgCallRecord) => void): () => void;
}

/** One finished qemu-img process, as {@link SpawnQemuImg.onCall} reports it. */
export interface QemuImgCallRecord {
  /** The arguments after the binary. */
  argv: string[];
  /** Exit code; null when it never ran to an exit (killed, timed out, canceled). */
  code: number | null;
  stderr: string;
  /** Why it failed, when it did. */
  error?: Error;
}

/** qemu-img subcommands that write a file (the audit records these, as virsh's mutating ones). */
const WRITING_SUBCOMMANDS: ReadonlySet<string> = new Set([
  "amend",
  "bitmap",
  "commit",
  "convert",
  "create",
  "dd",
  "rebase",
  "resize",
  "snapshot",
]);

/** The subcommand of a qemu-img argv when it writes a file, else null. Pure. */
export function writingSubcommand(argv: readonly string[]): string | null {
  return WRITING_SUBCOMMANDS.has(argv[0]) ? argv[0] : null;
}

/** Options of {@link SpawnQemuImg}. */
export interface SpawnQemuImgOptions {
  /** Path or name of the binary (default `qemu-img`). */
  binary?: string;
  /** Deadline per call (default 15 s; reading one header takes milliseconds). */
  timeoutMs?: number;
  /** Processes at once (default 2). */
  maxConcurrent?: number;
}

/**
 * Spawns one qemu-img process per call: `run` (deadline, concurrency cap) and `convert` (a long
 * `convert -p` with progress and abort, see convert.ts). Every finished process is reported to
 * the {@link SpawnQemuImg.onCall} listeners, the one place the audit hooks in.
 */
export class SpawnQemuImg implements ReportingQemuImg {
  readonly #binary: string;
  readonly #timeoutMs: number;
  readonly #max: number;
  #running = 0;
  readonly #waiters: (() => void)[] = [];
  readonly #listeners = new Set<(record: QemuImgCallRecord) => void>();

  constructor(options: SpawnQemuImgOptions = {}) {
    this.#binary = options.binary ?? "qemu-img";
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#max = options.maxConcurrent ?? 2;
  }

  /** Registers a listener for every finished process; returns the unsubscribe. */
  onCall(listener: (record: QemuImgCallRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs a `qemu-img convert -p` to its end (no deadline, no cap): see {@link runConvert}. */
  async convert(args: readonly string[], options: ConvertOptions = {}): Promise<void> {
    await this.#reported([...args], () => runConvert(args, { ...options, binary: this.#binary }));
  }

  async #reported<T>(argv: string[], spawn: () => Promise<T>): Promise<T> {
    try {
      const out = await spawn();
      const printed = out as Partial<QemuImgOutput> | undefined;
      this.#report({ argv, code: 0, stderr: printed?.stderr ?? "" });
      return out;
    } catch (e) {
      const failed = e instanceof QemuImgError ? e : null;
      // A refusal before spawning (no explicit format) ran nothing: nothing to report.
      if (failed?.kind !== "invalid") {
        this.#report({
          argv,
          code: failed?.code ?? null,
          stderr: failed?.stderr ?? "",
          error: e instanceof Error ? e : new Error(String(e)),
        });
      }
      throw e;
    }
  }

  #report(record: QemuImgCallRecord): void {
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch (e) {
        console.error("qemu-img call listener failed", e);
      }
    }
  }

  async run(args: readonly string[]): Promise<QemuImgOutput> {
    const argv = [...args];
    if (argv.length < 2 || !hasExplicitFormat(argv)) {
      throw new QemuImgError({
        argv,
        code: null,
        stderr: "",
        kind: "invalid",
        message: "refusing to run qemu-img without an explicit -f qcow2|raw",
      });
    }
    if (this.#running >= this.#max) await new Promise<void>((r) => this.#waiters.push(r));
    this.#running++;
    try {
      return await this.#reported(argv, () => this.#spawn(argv));
    } finally {
      this.#running--;
      this.#waiters.shift()?.();
    }
  }

  async #spawn(argv: string[]): Promise<QemuImgOutput> {
    const child = spawnInOwnGroup(
      this.#binary,
      argv,
      () => new QemuImgError({ argv, code: null, stderr: "", kind: "missing-binary" }),
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killProcessGroup(child);
    }, this.#timeoutMs);
    try {
      const out = await child.output();
      const decoder = new TextDecoder();
      const stdout = decoder.decode(out.stdout);
      const stderr = decoder.decode(out.stderr);
      if (timedOut) {
        throw new QemuImgError({
          argv,
          code: null,
          stderr,
          kind: "timeout",
          message: `qemu-img did not answer within ${this.#timeoutMs} ms and was stopped`,
        });
      }
      if (out.code === 127 && /No such file|not found/.test(stderr)) {
        throw new QemuImgError({ argv, code: null, stderr, kind: "missing-binary" });
      }
      if (out.code !== 0) throw new QemuImgError({ argv, code: out.code, stderr });
      return { argv, stdout, stderr, code: out.code };
    } finally {
      clearTimeout(timer);
    }
  }
}
