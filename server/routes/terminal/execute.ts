/**
 * Running checked terminal lines: the one path from a typed line to the runner, shared by the
 * JSON API and the panel. Every line is audited, refused ones included; a refused line never
 * reaches the runner.
 *
 * @module
 */
import type { VirshOutput, VirshRunner } from "../../virsh/runner.ts";
import { VirshError } from "../../virsh/errors.ts";
import {
  type CheckedCommand,
  type CopyPolicy,
  type OwnedJobPolicy,
  parseTerminalLine,
  type TerminalRole,
} from "../../terminal/mod.ts";
import { ProgressFolder } from "../../terminal/progress.ts";
import { TerminalRefusal } from "../../terminal/refusal.ts";
import type { TerminalAuditEntry } from "../../audit/web.ts";
import { displayCommandLine } from "../../virsh/display.ts";
import { blockJobAbortTypedArgs } from "../../virsh/commands.ts";
import type { SessionRegistry, StreamSession } from "./sessions.ts";

/** Deadline of a command that does not stream (`domblklist`, `blockjob --abort`, ...). */
export const FINISHED_TIMEOUT_MS = 60_000;
/** Deadline of a `--wait` command run through the JSON API (it answers once it ends). */
export const API_STREAM_TIMEOUT_MS = 10 * 60_000;
/**
 * Deadline of a `--wait` command streamed to the panel. When it passes, virsh is killed and the
 * job keeps running in libvirt (only Stop aborts it): the deadline ends the watching, not the job.
 */
export const UI_STREAM_TIMEOUT_MS = 30 * 60_000;

/** Subcommands whose `--wait` follows a job this line started: Stop aborts that job. */
const JOB_STARTERS = new Set(["blockcopy", "blockpull", "blockcommit"]);

/** One signed-in caller's terminal request: who types, what may run, where outcomes go. */
export interface LineContext {
  runner: VirshRunner;
  user: string;
  /** Picks the allowlist the line is checked against. */
  role: TerminalRole;
  /** Storage-root rule for `blockcopy --dest` and `snapshot-create-as --diskspec file=`. */
  copyPolicy?: CopyPolicy;
  /** Refuses `blockjob` control of a job a storage move or live migration owns. */
  ownedJob?: OwnedJobPolicy;
  /**
   * The reused destination's header check (`blockcopy --reuse-external`): why the line must not
   * run, or null. Absent: no such check (tests of other lines).
   */
  reusedCopyProblem?: (checked: CheckedCommand) => Promise<string | null>;
  /** Records one outcome of a line (audit log, job feed). */
  record(entry: TerminalAuditEntry): void;
}

/** What an audit entry says beyond who typed which line. */
export type LineOutcome = Omit<TerminalAuditEntry, "user" | "role" | "line">;

/**
 * Audits one outcome of a line the caller typed; an audit sink that throws is logged, never fatal
 * to the request.
 */
export function audit(ctx: LineContext, line: string, outcome: LineOutcome): void {
  try {
    ctx.record({ user: ctx.user, role: ctx.role, line, ...outcome });
  } catch (e) {
    console.error("terminal: audit failed:", e);
  }
}

/** The full argv as the runner passes it (`-c URI` first), for audit. */
export function fullArgv(ctx: LineContext, argv: readonly string[]): string[] {
  return ["-c", ctx.runner.uri, ...argv];
}

/**
 * Parses and checks `line` for the caller. Refusals are audited and
 * returned, never thrown.
 */
export function checkLine(ctx: LineContext, line: string): CheckedCommand | TerminalRefusal {
  try {
    return parseTerminalLine(line, ctx.role, {
      copyPolicy: ctx.copyPolicy,
      ownedJob: ctx.ownedJob,
    });
  } catch (e) {
    return refused(
      ctx,
      line,
      e instanceof TerminalRefusal
        ? e
        : new TerminalRefusal("unknown-subcommand", `the line could not be checked: ${e}`),
    );
  }
}

/** Audits a refused line and hands the refusal back. */
function refused(ctx: LineContext, line: string, refusal: TerminalRefusal): TerminalRefusal {
  audit(ctx, line, {
    action: "terminal",
    argv: null,
    result: "refused",
    message: `${refusal.code}: ${refusal.reason}`,
  });
  return refusal;
}

/**
 * {@link checkLine}, then the checks that read the host (a reused copy destination's header).
 * Refusals are audited and returned, never thrown.
 */
export async function checkLineFully(
  ctx: LineContext,
  line: string,
): Promise<CheckedCommand | TerminalRefusal> {
  const checked = checkLine(ctx, line);
  if (checked instanceof TerminalRefusal || !ctx.reusedCopyProblem) return checked;
  const problem = await ctx.reusedCopyProblem(checked);
  return problem === null ? checked : refused(ctx, line, new TerminalRefusal("policy", problem));
}

/**
 * Runs a checked command to its end (`allowFailure`: a non-zero exit is output, not an error),
 * audits the outcome, and keeps it out of the dashboard-action echo.
 *
 * @throws {VirshError} when virsh could not run or hit its deadline (audited as failed).
 */
export async function runToEnd(
  ctx: LineContext,
  line: string,
  checked: CheckedCommand,
  timeoutMs: number,
): Promise<VirshOutput> {
  const argv = fullArgv(ctx, checked.argv);
  try {
    const out = await ctx.runner.run(checked.argv, {
      allowFailure: true,
      timeoutMs,
      origin: "terminal",
      // A `--wait` line may run for minutes: it must not hold a slot of the short calls.
      lane: checked.streaming ? "long" : "short",
    });
    audit(ctx, line, {
      action: "terminal",
      argv,
      result: out.code === 0 ? "ok" : "failed",
      message: `exit ${out.code}`,
    });
    return out;
  } catch (e) {
    audit(ctx, line, {
      action: "terminal",
      argv,
      result: "failed",
      message: e instanceof Error ? e.message : String(e),
    });
    throw e;
  }
}

/** Publishes folded output of one stream into a session. */
function streamSink(session: StreamSession, stream: "stdout" | "stderr") {
  const folder = new ProgressFolder();
  let shown = "";
  return {
    push(chunk: string) {
      const { finished, current } = folder.push(chunk);
      for (const text of finished) session.publish({ type: "line", stream, text });
      if (finished.length) shown = "";
      if (current !== "" && current !== shown) {
        shown = current;
        session.publish({ type: "progress", stream, text: current });
      }
    },
    end() {
      for (const text of folder.end()) session.publish({ type: "line", stream, text });
    },
  };
}

/**
 * Starts a streaming command in a new session and returns at once; output arrives as session
 * messages. After Stop, the job the line started is aborted (`blockjob --abort`), because killing
 * virsh alone leaves a `--wait` job running in libvirt (checked on libvirt 9.0).
 *
 * @throws {TooManyStreams} from the registry (nothing was started or audited as run).
 */
export function startStream(
  ctx: LineContext,
  registry: SessionRegistry,
  line: string,
  checked: CheckedCommand,
  timeoutMs = UI_STREAM_TIMEOUT_MS,
): StreamSession {
  const commandLine = displayCommandLine(ctx.runner.uri, checked.argv);
  const session = registry.create(ctx.user, commandLine);
  const argv = fullArgv(ctx, checked.argv);
  audit(ctx, line, {
    action: "terminal",
    argv,
    result: "ok",
    message: `started, streaming (session ${session.id})`,
  });
  void followStream(ctx, session, line, checked, timeoutMs);
  return session;
}

async function followStream(
  ctx: LineContext,
  session: StreamSession,
  line: string,
  checked: CheckedCommand,
  timeoutMs: number,
): Promise<void> {
  const stdout = streamSink(session, "stdout");
  const stderr = streamSink(session, "stderr");
  let code: number | null = null;
  let failure: string | null = null;
  try {
    const out = await ctx.runner.run(checked.argv, {
      allowFailure: true,
      origin: "terminal",
      timeoutMs,
      lane: "long",
      signal: session.controller.signal,
      onStdout: (c) => stdout.push(c),
      onStderr: (c) => stderr.push(c),
    });
    code = out.code;
  } catch (e) {
    failure = e instanceof VirshError && e.kind === "timeout"
      ? `virsh was stopped after ${
        Math.round(timeoutMs / 60_000)
      } min; the job keeps running in libvirt (see blockjob --info)`
      : e instanceof Error
      ? e.message
      : String(e);
  }
  stdout.end();
  stderr.end();
  let abortNote = "";
  if (
    session.stopRequested && code !== 0 && JOB_STARTERS.has(checked.subcommand) &&
    checked.domain && checked.disk
  ) {
    abortNote = await abortAfterStop(ctx, session, line, checked.domain, checked.disk);
  }
  const stopped = session.stopRequested && code !== 0;
  const message = stopped ? `stopped${abortNote}` : failure ?? `exit ${code}`;
  audit(ctx, line, {
    action: "terminal.exit",
    argv: fullArgv(ctx, checked.argv),
    result: code === 0 ? "ok" : "failed",
    message,
  });
  session.publish({ type: "exit", code, stopped, message });
}

/** Aborts the job a stopped `--wait` line left behind; returns a note for the exit message. */
async function abortAfterStop(
  ctx: LineContext,
  session: StreamSession,
  line: string,
  domain: string,
  disk: string,
): Promise<string> {
  const args = blockJobAbortTypedArgs(domain, disk);
  const shown = displayCommandLine(ctx.runner.uri, args);
  session.publish({ type: "line", stream: "info", text: `Stopped; aborting the job: ${shown}` });
  try {
    const out = await ctx.runner.run(args, {
      allowFailure: true,
      timeoutMs: FINISHED_TIMEOUT_MS,
      origin: "terminal",
    });
    // No job left (it had ended on its own just before) is the outcome we want too.
    const gone = out.code === 0 || /does not have an active block job/.test(out.stderr);
    const stderrText = out.stderr.trim();
    if (stderrText) session.publish({ type: "line", stream: "stderr", text: stderrText });
    audit(ctx, line, {
      action: "terminal.stop",
      argv: fullArgv(ctx, args),
      result: gone ? "ok" : "failed",
      message: `abort after Stop: exit ${out.code}`,
    });
    return gone ? "; job aborted" : `; the abort failed (exit ${out.code}): check blockjob --info`;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    session.publish({ type: "line", stream: "stderr", text: msg });
    audit(ctx, line, {
      action: "terminal.stop",
      argv: fullArgv(ctx, args),
      result: "failed",
      message: msg,
    });
    return "; the abort failed: check blockjob --info";
  }
}
