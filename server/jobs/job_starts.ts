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
import { LineStream } from "./line_stream.ts";

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
  /**
   * Called when QEMU dismisses a job (status `null`): whatever it did to the domain's disks (a
   * disk-only snapshot's image creation, a block job) is over, and libvirt sends no event of its
   * own for some of them.
   */
  onDismissed?: (domain: string) => void;
  backoffMs?: { initial: number; max: number };
}

/** Runs `virsh qemu-monitor-event` for `JOB_STATUS_CHANGE`; see the module doc. */
export class JobStartWatcher {
  readonly #stream: LineStream;

  constructor(runner: VirshRunner, options: JobStartWatcherOptions) {
    this.#stream = new LineStream(runner, {
      argv: qemuJobEventArgs,
      backoffMs: options.backoffMs,
      // libvirtd restarting, or no QEMU driver: the stream retries quietly.
      onLine: (line) => {
        const event = parseQemuJobEvent(line);
        if (event?.status === "created") options.onCreated(event.domain, event.target);
        if (event?.status === "null") options.onDismissed?.(event.domain);
      },
    });
  }

  /** Starts the listener loop (idempotent). */
  start(): void {
    this.#stream.start();
  }

  /** Kills the listener and waits for the loop to end. */
  stop(): Promise<void> {
    return this.#stream.stop();
  }
}
