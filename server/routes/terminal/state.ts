/**
 * What the terminal's API and panel share for the life of the app: the `--wait` stream
 * sessions, the event log, the echo of dashboard calls, the line history and the event-stream
 * caps. It subscribes to the runner and the monitor once; {@link TerminalState.close} removes
 * both subscriptions.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import type { VirshRunner } from "../../virsh/runner.ts";
import type { JobMonitor } from "../../jobs/monitor.ts";
import { type AuditSink, callerOf, recordTerminalLine } from "../../audit/web.ts";
import { terminalRoleOf } from "../../auth/policy.ts";
import { copyDestinationProblem } from "../../security/destinations.ts";
import type { Inventory } from "../../inventory/service.ts";
import { type QemuImgRunner, SpawnQemuImg } from "../../images/runner.ts";
import { reusedCopyProblem } from "./reused_copy.ts";
import { ActionLog } from "./action_log.ts";
import { EventLog } from "./event_log.ts";
import { LineHistory } from "./history.ts";
import { type SessionLimits, SessionRegistry } from "./sessions.ts";
import { type StreamCaps, StreamCounter } from "./stream_caps.ts";
import { type LineContext, UI_STREAM_TIMEOUT_MS } from "./execute.ts";

/** Limits of the terminal (tests shorten them). */
export interface TerminalOptions {
  /** Caps of `--wait` streams (panel and JSON API together). */
  sessions?: SessionLimits;
  /** Caps of live event-log streams. */
  eventStreams?: StreamCaps;
  /** Deadline of a command streamed to the panel (default {@link UI_STREAM_TIMEOUT_MS}). */
  streamTimeoutMs?: number;
}

/** The parts of the services and security the terminal uses. */
export interface TerminalSources {
  runner: VirshRunner;
  /** Event lines for the Events pane; the job feed learns of jobs a line started. */
  monitor?:
    & Pick<JobMonitor, "onEventLine" | "noteTerminalLine">
    & Partial<Pick<JobMonitor, "ownedJobRefusal">>;
  /** Where copy destinations may be; null or absent: no root configured. */
  storageRoots?: readonly string[] | null;
  /** Every line goes here; absent in open mode without security. */
  audit?: AuditSink;
  /** Resolves the domain a reuse-external copy names (the inventory snapshot). */
  inventory?: Pick<Inventory, "resolve">;
  /** Reads a reused destination's headers (default: qemu-img on this host). */
  qemuImg?: QemuImgRunner;
}

/** The terminal's long-lived state, one per app. */
export class TerminalState {
  /** `--wait` stream sessions. */
  readonly registry: SessionRegistry;
  /** Open live event-log streams. */
  readonly eventStreams: StreamCounter;
  /** Each user's lines, for ↑/↓. */
  readonly history: LineHistory = new LineHistory();
  /** The last `virsh event` lines. */
  readonly events: EventLog = new EventLog();
  /** The echo of the dashboard's own mutating calls. */
  readonly actions: ActionLog;
  /** Deadline of a streamed panel command. */
  readonly streamTimeoutMs: number;
  readonly #sources: TerminalSources;
  readonly #qemuImg: QemuImgRunner;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(sources: TerminalSources, options: TerminalOptions = {}) {
    this.#sources = sources;
    this.#qemuImg = sources.qemuImg ?? new SpawnQemuImg();
    this.registry = new SessionRegistry(options.sessions);
    this.eventStreams = new StreamCounter(options.eventStreams);
    this.streamTimeoutMs = options.streamTimeoutMs ?? UI_STREAM_TIMEOUT_MS;
    this.actions = new ActionLog(sources.runner.uri);
    this.#unsubscribe.push(sources.runner.onCall((r) => this.actions.record(r)));
    const monitor = sources.monitor;
    if (monitor) this.#unsubscribe.push(monitor.onEventLine((line) => this.events.push(line)));
  }

  /** The virsh connection URI (shown in command lines). */
  get uri(): string {
    return this.#sources.runner.uri;
  }

  /** The line context of request `c`'s caller, or null for an anonymous caller. */
  lineContext(c: Context<AppEnv>): LineContext | null {
    const user = c.var.user ?? null;
    const role = terminalRoleOf(user);
    if (!user || !role) return null;
    const { runner, monitor, audit, storageRoots, inventory } = this.#sources;
    const client = callerOf(c).client;
    // The terminal audits its lines itself (refused ones included); the app adds no refusal row.
    c.set("audited", true);
    return {
      runner,
      user: user.name,
      role,
      copyPolicy: (dest, { reuseExternal }) =>
        copyDestinationProblem(dest, { reuseExternal, roots: storageRoots ?? null }),
      ownedJob: (domain, disk) => monitor?.ownedJobRefusal?.(domain, disk) ?? null,
      reusedCopyProblem: (checked) =>
        reusedCopyProblem(checked, {
          runner,
          resolve: (name) => inventory ? inventory.resolve(name) : Promise.resolve(null),
          qemuImg: this.#qemuImg,
          roots: storageRoots ?? null,
        }),
      record: (e) => {
        // A line that starts a job: every page learns of it at once, labelled with its author.
        if (e.action === "terminal" && e.argv && e.result === "ok") {
          monitor?.noteTerminalLine(e.argv, e.user);
        }
        if (audit) recordTerminalLine(audit, client, e);
      },
    };
  }

  /** Removes the runner and monitor subscriptions. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }
}
