/**
 * Runs `qemu-img` the way `server/virsh/runner.ts` runs virsh: an argv array (never a shell),
 * `LC_ALL=C`, a deadline that kills the whole process group, a cap on concurrent processes, and
 * typed {@link QemuImgError}s. It refuses any call without an explicit `-f qcow2|raw`: blockboard
 * never lets qemu-img probe a format.
 *
 * @module
 */
import { isImageFormat } from "./commands.ts";
import { QemuImgError } from "./errors.ts";
import { killProcessGroup, spawnInOwnGroup } from "../process_group.ts";

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

/** Options of {@link SpawnQemuImg}. */
export interface SpawnQemuImgOptions {
  /** Path or name of the binary (default `qemu-img`). */
  binary?: string;
  /** Deadline per call (default 15 s; reading one header takes milliseconds). */
  timeoutMs?: number;
  /** Processes at once (default 2). */
  maxConcurrent?: number;
}

/** True when `args` carry `-f FMT` with a format blockboard reads. Pure. */
export function hasExplicitFormat(args: readonly string[]): boolean {
  const i = args.indexOf("-f");
  return i >= 0 && isImageFormat(args[i + 1]);
}

/** Spawns one qemu-img process per call. */
export class SpawnQemuImg implements QemuImgRunner {
  readonly #binary: string;
  readonly #timeoutMs: number;
  readonly #max: number;
  #running = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(options: SpawnQemuImgOptions = {}) {
    this.#binary = options.binary ?? "qemu-img";
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#max = options.maxConcurrent ?? 2;
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
      return await this.#spawn(argv);
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
