/**
 * `blockboard_virsh_calls_total{host,command}` and `blockboard_virsh_call_duration_seconds`,
 * counted from the runner's one call hook (`VirshRunner.onCall`), which every call of the
 * process-per-call runner and of the session pool passes through: no call site counts anything.
 *
 * @module
 */
import type { VirshCallRecord, VirshRunner } from "../virsh/runner.ts";
import { Counter, Histogram, type Registry } from "./registry.ts";

/** Distinct `command` label values kept; later unknown ones count as `other`. */
export const MAX_COMMAND_LABELS = 100;

const COMMAND = /^[a-z][a-z0-9-]{0,63}$/;

/**
 * The subcommand of a call record's argv (`-c URI SUBCOMMAND ...`), or `other` when it does not
 * look like one (a terminal line may hold anything). Pure.
 */
export function commandOf(argv: readonly string[]): string {
  const i = argv[0] === "-c" ? 2 : 0;
  const command = argv[i] ?? "";
  return COMMAND.test(command) ? command : "other";
}

/** The virsh call counters; see the module doc. */
export class VirshCallMetrics {
  readonly calls: Counter;
  readonly duration: Histogram;
  readonly #commands = new Set<string>();

  constructor(registry: Registry) {
    this.calls = registry.register(
      new Counter(
        "blockboard_virsh_calls_total",
        "virsh calls finished (each session command or process counts once), by host and subcommand.",
        ["host", "command"],
      ),
    );
    this.duration = registry.register(
      new Histogram(
        "blockboard_virsh_call_duration_seconds",
        "How long virsh calls took, by host and subcommand.",
        ["host", "command"],
      ),
    );
  }

  /** Counts one finished call on `host`. */
  observe(host: string, record: VirshCallRecord): void {
    let command = commandOf(record.argv);
    if (!this.#commands.has(command)) {
      if (this.#commands.size >= MAX_COMMAND_LABELS) command = "other";
      else this.#commands.add(command);
    }
    const labels = { host, command };
    this.calls.inc(labels);
    this.duration.observe(labels, Math.max(0, record.durationMs) / 1000);
  }

  /** Counts every call `runner` (host `host`'s) finishes from now on; returns the unsubscribe. */
  watch(host: string, runner: VirshRunner): () => void {
    return runner.onCall((record) => this.observe(host, record));
  }
}
