/**
 * The echo of what the dashboard itself ran: a ring buffer of the last mutating virsh calls
 * (start, abort, pivot, bandwidth), fed by the runner's `onCall`, read by the terminal pane with
 * `?after=SEQ`. Reads (the monitor's `blockjob --info`, inventory `list`/`domstats`/`dumpxml`)
 * are not echoed, and neither are the terminal's own calls (the pane already shows them).
 *
 * @module
 */
import type { VirshCallRecord } from "../../virsh/runner.ts";
import { displayCommandLine, mutatingSubcommand } from "../../virsh/display.ts";

/** How many echoed calls are kept. */
export const ACTION_LOG_SIZE = 200;

/** How many stderr lines an echo shows. */
const STDERR_LINES = 3;

/** One echoed dashboard call. */
export interface ActionEcho {
  /** Increasing from 1; the pane asks for everything after the last one it saw. */
  seq: number;
  /** Milliseconds since the epoch when the call started. */
  at: number;
  /** `virsh -c URI ...`, quoted for a shell. */
  commandLine: string;
  /** Exit code, or null when virsh never ran or was killed. */
  code: number | null;
  /** The first lines of stderr (or the error), for a failed call. */
  stderrHead: string[];
}

/** Ring buffer of echoed calls; feed it from the runner's `onCall`. */
export class ActionLog {
  #entries: ActionEcho[] = [];
  #seq = 0;
  /** argv keys (JSON) of terminal calls in flight, with counts: not echoed. */
  readonly #uri: string;
  readonly #size: number;

  constructor(uri: string, size = ACTION_LOG_SIZE) {
    this.#uri = uri;
    this.#size = size;
  }

  /** The newest sequence number (0 when empty). */
  get latest(): number {
    return this.#seq;
  }

  /** Feeds one finished call (the runner's `onCall` listener). */
  record(record: VirshCallRecord): void {
    // The terminal's own lines are already in its pane.
    if (record.origin === "terminal" || mutatingSubcommand(record.argv) === null) return;
    const stderr = record.stderr || record.error?.message || "";
    this.#entries.push({
      seq: ++this.#seq,
      at: record.startedAt.getTime(),
      commandLine: displayCommandLine(this.#uri, record.argv),
      code: record.code,
      stderrHead: stderr.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(
        0,
        STDERR_LINES,
      ),
    });
    if (this.#entries.length > this.#size) this.#entries.shift();
  }

  /**
   * The echoes after `seq`. A `seq` ahead of the log (the server restarted) returns nothing; the
   * caller resumes from {@link latest}.
   */
  after(seq: number): ActionEcho[] {
    if (seq >= this.#seq) return [];
    return this.#entries.filter((e) => e.seq > seq);
  }
}
