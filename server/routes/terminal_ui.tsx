/**
 * The panel's routes, mounted at `/ui/terminal` behind the terminal's gate: run a line (an
 * output-pane fragment), stream a `--wait` command (SSE) and stop it, the echo of dashboard
 * actions, the live event log (SSE) and the user's line history. Streams are Origin-checked.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { HttpError, toHttpError } from "../http_errors.ts";
import { TerminalRefusal } from "../terminal/refusal.ts";
import { streamOriginCheck } from "../security/origin.ts";
import { displayCommandLine } from "../virsh/display.ts";
import {
  checkLineFully,
  FINISHED_TIMEOUT_MS,
  type LineContext,
  runToEnd,
  startStream,
} from "./terminal/execute.ts";
import { type StreamSession, TooManyStreams } from "./terminal/sessions.ts";
import type { TerminalState } from "./terminal/state.ts";
import { serveSse, type SseMessage } from "./terminal/sse.ts";
import {
  ActionEchoes,
  FailedRun,
  RefusedLine,
  RunResult,
  StreamStart,
} from "../../views/terminal_output.tsx";

/** Options of {@link terminalUi}. */
export interface TerminalUiOptions {
  /** Hosts an event stream may be opened from (the Host allowlist); default the request's Host. */
  allowedHosts?: ReadonlySet<string>;
}

const afterSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sessionIdSchema = z.uuid();

/** The caller's line context; anonymous callers never pass the gate, this is the backstop. */
function signedIn(state: TerminalState, c: Context<AppEnv>): LineContext {
  const ctx = state.lineContext(c);
  if (!ctx) throw new HttpError(401, "unauthorized", "Sign in to use the terminal.");
  return ctx;
}

/** Routes mounted at `/ui/terminal`. */
export function terminalUi(state: TerminalState, options: TerminalUiOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const originCheck = streamOriginCheck(options.allowedHosts);

  app.post("/run", async (c) => {
    const ctx = signedIn(state, c);
    const body = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
    const line = typeof body.command === "string" ? body.command : "";
    state.history.add(ctx.user, line);
    const checked = await checkLineFully(ctx, line);
    if (checked instanceof TerminalRefusal) {
      return c.html(<RefusedLine line={line} reason={checked.reason} />, checked.status);
    }
    const commandLine = displayCommandLine(state.uri, checked.argv);
    if (checked.streaming) {
      try {
        const session = startStream(ctx, state.registry, line, checked, state.streamTimeoutMs);
        return c.html(<StreamStart commandLine={commandLine} id={session.id} />);
      } catch (e) {
        if (e instanceof TooManyStreams) {
          return c.html(<RefusedLine line={line} reason={e.message} />, 429);
        }
        throw e;
      }
    }
    try {
      const out = await runToEnd(ctx, line, checked, FINISHED_TIMEOUT_MS);
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
  const ownSession = (c: Context<AppEnv>): StreamSession | Response => {
    const ctx = signedIn(state, c);
    const id = sessionIdSchema.safeParse(c.req.param("id"));
    const session = id.success ? state.registry.get(id.data) : undefined;
    if (!session) return c.text("No such terminal stream (it ended long ago, or never was).", 404);
    if (session.user !== ctx.user) return c.text("This stream belongs to another user.", 403);
    return session;
  };

  app.get("/stream/:id", originCheck, (c) => {
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
    signedIn(state, c);
    const raw = c.req.query("after");
    const after = raw === undefined ? null : afterSchema.safeParse(raw);
    if (after && !after.success) return c.text("after must be a whole number", 400);
    const entries = after ? state.actions.after(after.data) : [];
    return c.html(<ActionEchoes entries={entries} next={state.actions.latest} />);
  });

  app.get("/events", originCheck, (c) => {
    const ctx = signedIn(state, c);
    const release = state.eventStreams.tryOpen(ctx.user);
    if (typeof release === "string") return c.text(release, 429);
    const isReconnect = c.req.header("last-event-id") !== undefined;
    return serveSse(c, {
      backlog: (lastId) =>
        state.events.after(lastId).map((e) => ({
          id: e.seq,
          // Old lines must not re-trigger job refreshes on a fresh page.
          event: isReconnect ? "line" : "backlog",
          data: JSON.stringify(e),
        })),
      subscribe: (push) => {
        const unsubscribe = state.events.subscribe((e) =>
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
    const ctx = signedIn(state, c);
    return c.json({ history: state.history.of(ctx.user) }, 200, { "cache-control": "no-store" });
  });

  return app;
}
