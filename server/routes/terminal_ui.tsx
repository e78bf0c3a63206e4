/**
 * The panel's routes, mounted at `/ui/terminal`: run a line (an output-pane fragment), stream a
 * `--wait` command (SSE) and stop it, the echo of dashboard actions, the live event log (SSE)
 * and the user's line history.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { toHttpError } from "../../http_errors.ts";
import { TerminalRefusal } from "../refusal.ts";
import { apiError } from "../../security/respond.ts";
import { ActionLog } from "./action_log.ts";
import type { TerminalDeps } from "./deps.ts";
import { EventLog } from "./event_log.ts";
import { callerOf, checkLine, FINISHED_TIMEOUT_MS, runToEnd, startStream } from "./execute.ts";
import { ActionEchoes, FailedRun, RefusedLine, RunResult, StreamStart } from "./fragments.tsx";
import { LineHistory } from "./history.ts";
import { streamOriginRefusal } from "./origin.ts";
import { displayCommandLine } from "../../virsh/display.ts";
import { registryOf, type SessionLimits, TooManyStreams } from "./sessions.ts";
import { type StreamCaps, StreamCounter } from "./stream_caps.ts";
import { serveSse, type SseMessage } from "./sse.ts";

/** Extra knobs of {@link terminalUi} (tests shorten them). */
export interface TerminalUiOptions {
  /** Caps of `--wait` streams (shared with the JSON API). */
  sessions?: SessionLimits;
  /** Caps of live event-log streams. */
  eventStreams?: StreamCaps;
  /** Deadline of a streamed command (default {@link UI_STREAM_TIMEOUT_MS}). */
  streamTimeoutMs?: number;
}

const afterSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sessionIdSchema = z.uuid();

function unauthorized(c: Context): Response {
  return apiError(c, 401, "unauthorized", "Sign in to use the terminal.");
}

/** Routes mounted at `/ui/terminal`. */
export function terminalUi(deps: TerminalDeps, options: TerminalUiOptions = {}): Hono {
  const app = new Hono();
  const registry = registryOf(deps, options.sessions);
  const eventStreams = new StreamCounter(options.eventStreams);
  const history = new LineHistory();
  const events = new EventLog();
  deps.subscribeEvents?.((line) => events.push(line));
  const actions = new ActionLog(deps.runner.uri);
  deps.runner.onCall((r) => actions.record(r));

  app.post("/run", async (c) => {
    const caller = callerOf(deps, c);
    if (caller.role === null) return unauthorized(c);
    const body = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
    const line = typeof body.command === "string" ? body.command : "";
    history.add(caller.user, line);
    const checked = checkLine(deps, { ...caller, role: caller.role }, line);
    if (checked instanceof TerminalRefusal) {
      return c.html(<RefusedLine line={line} reason={checked.reason} />, checked.status);
    }
    const commandLine = displayCommandLine(deps.runner.uri, checked.argv);
    if (checked.streaming) {
      try {
        const session = startStream(
          deps,
          registry,
          caller,
          line,
          checked,
          options.streamTimeoutMs,
        );
        return c.html(<StreamStart commandLine={commandLine} id={session.id} />);
      } catch (e) {
        if (e instanceof TooManyStreams) {
          return c.html(<RefusedLine line={line} reason={e.message} />, 429);
        }
        throw e;
      }
    }
    try {
      const out = await runToEnd(deps, caller, line, checked, FINISHED_TIMEOUT_MS);
      return c.html(
        <RunResult
          commandLine={commandLine}
          stdout={out.stdout}
          stderr={out.stderr}
          code={out.code}
        />,
      );
    } catch (e) {
      const err = toHttpError(e);
      return c.html(<FailedRun commandLine={commandLine} message={err.message} />, 200);
    }
  });

  /** The session named in the URL, if the caller may see it; else the refusal response. */
  const ownSession = (c: Context) => {
    const caller = callerOf(deps, c);
    if (caller.role === null) return unauthorized(c);
    const id = sessionIdSchema.safeParse(c.req.param("id"));
    const session = id.success ? registry.get(id.data) : undefined;
    if (!session) return c.text("No such terminal stream (it ended long ago, or never was).", 404);
    if (session.user !== caller.user) return c.text("This stream belongs to another user.", 403);
    return session;
  };

  app.get("/stream/:id", (c) => {
    const refusal = streamOriginRefusal(c, deps);
    if (refusal) return c.text(refusal, 403);
    const session = ownSession(c);
    if (session instanceof Response) return session;
    const toSse = (m: { seq: number; message: unknown }): SseMessage => ({
      id: m.seq,
      event: "out",
      data: JSON.stringify(m.message),
    });
    return serveSse(c, {
      backlog: (lastId) => session.since(lastId).map(toSse),
      subscribe: (push, end) =>
        session.subscribe((m) => {
          push(toSse(m));
          if (m.message.type === "exit") end();
        }),
      ended: () => session.done,
    });
  });

  app.post("/stop/:id", (c) => {
    const session = ownSession(c);
    if (session instanceof Response) return session;
    session.stop();
    return c.body(null, 204);
  });

  app.get("/actions", (c) => {
    if (callerOf(deps, c).role === null) return unauthorized(c);
    const raw = c.req.query("after");
    const after = raw === undefined ? null : afterSchema.safeParse(raw);
    if (after && !after.success) return c.text("after must be a whole number", 400);
    const entries = after ? actions.after(after.data) : [];
    return c.html(<ActionEchoes entries={entries} next={actions.latest} />);
  });

  app.get("/events", (c) => {
    const refusal = streamOriginRefusal(c, deps);
    if (refusal) return c.text(refusal, 403);
    const caller = callerOf(deps, c);
    if (caller.role === null) return unauthorized(c);
    const release = eventStreams.tryOpen(caller.user);
    if (typeof release === "string") return c.text(release, 429);
    const isReconnect = c.req.header("last-event-id") !== undefined;
    return serveSse(c, {
      backlog: (lastId) =>
        events.after(lastId).map((e) => ({
          id: e.seq,
          // Old lines must not re-trigger job refreshes on a fresh page.
          event: isReconnect ? "line" : "backlog",
          data: JSON.stringify(e),
        })),
      subscribe: (push) => {
        const unsubscribe = events.subscribe((e) =>
          push({ id: e.seq, event: "line", data: JSON.stringify(e) })
        );
        // Called once the stream ends (page gone, shutdown): the slot is free again.
        return () => {
          unsubscribe();
          release();
        };
      },
    });
  });

  app.get("/history", (c) => {
    const caller = callerOf(deps, c);
    if (caller.role === null) return unauthorized(c);
    return c.json({ history: history.of(caller.user) }, 200, { "cache-control": "no-store" });
  });

  return app;
}
