/**
 * A long-lived virsh process whose stdout is read line by line (`virsh event --loop`,
 * `virsh qemu-monitor-event --loop`), restarted with backoff whenever it ends: a libvirtd restart
 * kills it (`client socket is closed`), and libvirt may not be up yet. The delay doubles up to a
 * maximum and starts over after a run that lasted 10 s.
 *
 * @module
 */
import type { VirshRunner } from "../virsh/runner.ts";

/** What {@link LineStream} runs and tells. */
export interface LineStreamOptions {
  /** argv after `virsh -c URI`. */
  argv: () => string[];
  /** One complete line of stdout. */
  onLine: (line: string) => void;
  /** Some output arrived (libvirt answers). */
  onOutput?: () => void;
  /** A run is about to start; `restart` is false for the first. */
  onRun?: (restart: boolean) => void;
  /** The process failed (not when stopped on purpose). */
  onError?: (error: unknown) => void;
  /** After a run ended, while waiting to restart. */
  onEnded?: () => void;
  /** First and maximum restart delay; default 250 ms and 5000 ms. */
  backoffMs?: { initial: number; max: number };
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** Runs the process until {@link stop}; see the module doc. */
export class LineStream {
  readonly #runner: VirshRunner;
  readonly #options: LineStreamOptions;
  #stopped = true;
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(runner: VirshRunner, options: LineStreamOptions) {
    this.#runner = runner;
    this.#options = options;
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Kills the process and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const now = o.now ?? Date.now;
    const { initial, max } = o.backoffMs ?? { initial: 250, max: 5000 };
    let delay = initial;
    let restart = false;
    while (!this.#stopped) {
      const abort = new AbortController();
      this.#abort = abort;
      o.onRun?.(restart);
      restart = true;
      const startedAt = now();
      let buffer = "";
      try {
        await this.#runner.run(o.argv(), {
          timeoutMs: 0,
          signal: abort.signal,
          onStdout: (chunk) => {
            o.onOutput?.();
            buffer += chunk;
            const lines = buffer.split("\n");
            buffer = lines.pop() ?? "";
            for (const line of lines) o.onLine(line);
          },
        });
      } catch (e) {
        if (!this.#stopped) o.onError?.(e);
      }
      if (this.#stopped) break;
      o.onEnded?.();
      delay = now() - startedAt > 10_000 ? initial : Math.min(delay * 2, max);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
