/**
 * Learns at once that a block job was created anywhere on the host (plain virsh included):
 * libvirt sends no event when a job starts, but QEMU does (`JOB_STATUS_CHANGE` with status
 * `created`), and `virsh qemu-monitor-event` relays it. One long-lived process for the whole
 * host, restarted with backoff like the `virsh event` listener; the monitor resyncs the one
 * domain named. Where the connection has no QEMU monitor events (another driver), the listener
 * keeps failing quietly and the periodic resync still adopts jobs.
 *
 * @module
 */
import { qemuJobEventArgs } from "../virsh/commands.ts";
import type { VirshRunner } from "../virsh/runner.ts";

/** A parsed `JOB_STATUS_CHANGE` line. */
export interface QemuJobEvent {
  /** Domain name as virsh prints it. */
  domain: string;
  /** QEMU job id, e.g. `copy-vda-libvirt-1-format`. */
  id: string;
  /** `created`, `running`, `ready`, `concluded`, `null`, ... */
  status: string;
  /** Disk target read from a libvirt job id, or null. */
  target: string | null;
}

const LINE = /event JOB_STATUS_CHANGE(?: at [0-9.]+)? for domain '(.*)': (\{.*\})\s*$/;
const LIBVIRT_JOB_ID = /^(?:pull|copy|commit|active-commit|backup)-([a-z][a-z0-9]{1,15})-/;

/** Parses one line of `virsh qemu-monitor-event` output; null for anything else. Pure. */
export function parseQemuJobEvent(line: string): QemuJobEvent | null {
  const m = LINE.exec(line);
  if (!m) return null;
  let data: unknown;
  try {
    data = JSON.parse(m[2]);
  } catch {
    return null;
  }
  const { id, status } = (data ?? {}) as { id?: unknown; status?: unknown };
  if (typeof id !== "string" || typeof status !== "string") return null;
  return { domain: m[1], id, status, target: LIBVIRT_JOB_ID.exec(id)?.[1] ?? null };
}

/** Options of {@link JobStartWatcher}. */
export interface JobStartWatcherOptions {
  /** Called for every job QEMU creates. */
  onCreated: (domain: string, target: string | null) => void;
  backoffMs?: { initial: number; max: number };
}

/** Runs `virsh qemu-monitor-event` for `JOB_STATUS_CHANGE`; see the module doc. */
export class JobStartWatcher {
  readonly #runner: VirshRunner;
  readonly #options: JobStartWatcherOptions;
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #stopped = true;
  #wake: (() => void) | null = null;

  constructor(runner: VirshRunner, options: JobStartWatcherOptions) {
    this.#runner = runner;
    this.#options = options;
  }

  /** Starts the listener loop (idempotent). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Kills the listener and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }

  async #run(): Promise<void> {
    const backoff = this.#options.backoffMs ?? { initial: 250, max: 5000 };
    let delay = backoff.initial;
    while (!this.#stopped) {
      const abort = new AbortController();
      this.#abort = abort;
      const startedAt = Date.now();
      let buffer = "";
      try {
        await this.#runner.run(qemuJobEventArgs(), {
          timeoutMs: 0,
          signal: abort.signal,
          onStdout: (chunk) => {
            buffer += chunk;
            const lines = buffer.split("\n");
            buffer = lines.pop() ?? "";
            for (const line of lines) {
              const event = parseQemuJobEvent(line);
              if (event?.status === "created") this.#options.onCreated(event.domain, event.target);
            }
          },
        });
      } catch {
        // libvirtd restarting, or no QEMU driver: retry below.
      }
      if (this.#stopped) break;
      delay = Date.now() - startedAt > 10_000 ? backoff.initial : Math.min(delay * 2, backoff.max);
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
