/**
 * The echo of what the dashboard itself ran: a ring buffer of the last mutating virsh calls
 * (start, abort, pivot, bandwidth), fed by the runner's `onCall`, read by the terminal pane with
 * `?after=SEQ`. Reads (the monitor's `blockjob --info`, inventory `list`/`domstats`/`dumpxml`)
 * are not echoed, and neither are the terminal's own calls (the pane already shows them).
 *
 * @module
 */
import type { VirshCallRecord, VirshRunner } from "../../virsh/runner.ts";
import { displayCommandLine } from "./quote.ts";

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

/** The argv after `-c URI`. */
function afterConnection(argv: readonly string[]): readonly string[] {
  return argv[0] === "-c" ? argv.slice(2) : argv;
}

/**
 * Whether a call is an action worth echoing: it changes a block job or creates a snapshot.
 * `args` is the argv after the binary, with or without the leading `-c URI`. Pure.
 */
export function isEchoedAction(args: readonly string[]): boolean {
  const rest = afterConnection(args);
  switch (rest[0]) {
    case "blockcopy":
    case "blockpull":
    case "blockcommit":
    case "snapshot-create-as":
      return true;
    case "blockjob":
      return rest.some((a) =>
        a === "--abort" || a === "--pivot" || a === "--bandwidth" || a.startsWith("--bandwidth=")
      );
    default:
      return false;
  }
}

/** Ring buffer of echoed calls; one per runner (see {@link actionLogFor}). */
export class ActionLog {
  #entries: ActionEcho[] = [];
  #seq = 0;
  /** argv keys (JSON) of terminal calls in flight, with counts: not echoed. */
  #suppressed = new Map<string, number>();
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

  /**
   * Marks a call the terminal is about to make with `args` (after `-c URI`) as not to be echoed.
   * Call the returned function once the call has settled.
   */
  suppress(args: readonly string[]): () => void {
    const key = JSON.stringify(args);
    this.#suppressed.set(key, (this.#suppressed.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#take(key);
    };
  }

  #take(key: string): boolean {
    const n = this.#suppressed.get(key);
    if (!n) return false;
    if (n === 1) this.#suppressed.delete(key);
    else this.#suppressed.set(key, n - 1);
    return true;
  }

  /** Feeds one finished call (the runner's `onCall` listener). */
  record(record: VirshCallRecord): void {
    const args = afterConnection(record.argv);
    if (!isEchoedAction(args)) return;
    if (this.#suppressed.has(JSON.stringify(args))) return;
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

const logs = new WeakMap<VirshRunner, ActionLog>();

/**
 * The one action log of a runner, subscribed to its `onCall` on first use: the JSON API and the
 * UI share it, so neither's terminal calls are echoed.
 */
export function actionLogFor(runner: VirshRunner): ActionLog {
  let log = logs.get(runner);
  if (!log) {
    const created = new ActionLog(runner.uri);
    runner.onCall((r) => created.record(r));
    logs.set(runner, created);
    log = created;
  }
  return log;
}
