/**
 * `POST /api/v1/terminal` `{"command": "..."}`: one terminal line, run to its end, as JSON.
 * Mounted at `/api/v1/terminal` behind the terminal's gate (any signed-in role); the line is then
 * checked against the caller's allowlist. Errors go to the app's `onError` as {@link HttpError}s.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http_errors.ts";
import { TerminalRefusal } from "../terminal/refusal.ts";
import { displayCommandLine } from "../virsh/display.ts";
import { apiRoute } from "../openapi/route.ts";
import { type TerminalResult, terminalResultSchema } from "../openapi/schemas.ts";
import { type StreamSession, TooManyStreams } from "./terminal/sessions.ts";
import type { TerminalState } from "./terminal/state.ts";
import {
  API_STREAM_TIMEOUT_MS,
  audit,
  checkLineFully,
  FINISHED_TIMEOUT_MS,
  runToEnd,
} from "./terminal/execute.ts";

/** The request body. The tokenizer enforces the line length; the cap here bounds the body. */
export const terminalRequestSchema = z.object({
  command: z.string().max(65_536),
}).strict();

/** `{"error":{"code","message"}}` code for a refusal: `forbidden` for role, else `refused_<why>`. */
export function refusalCode(refusal: TerminalRefusal): string {
  return refusal.status === 403 ? "forbidden" : `refused_${refusal.code.replaceAll("-", "_")}`;
}

/** The route, mounted at `/api/v1/terminal`. */
export function terminalApi(state: TerminalState): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", async (c) => {
    const ctx = state.lineContext(c);
    if (!ctx) {
      throw new HttpError(401, "unauthorized", "Sign in or send an API token to use the terminal.");
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      body = undefined;
    }
    const parsed = terminalRequestSchema.safeParse(body);
    if (!parsed.success) {
      const message = `body must be {"command": "<virsh line>"}: ${
        parsed.error.issues[0]?.message
      }`;
      audit(ctx, "", { action: "terminal", argv: null, result: "refused", message });
      throw new HttpError(400, "invalid_input", message);
    }
    const line = parsed.data.command;
    const checked = await checkLineFully(ctx, line);
    if (checked instanceof TerminalRefusal) {
      throw new HttpError(checked.status, refusalCode(checked), checked.reason);
    }
    // A `--wait` line holds a stream slot (shared with the panel) for as long as it runs.
    let session: StreamSession | null = null;
    if (checked.streaming) {
      try {
        session = state.registry.create(ctx.user, displayCommandLine(state.uri, checked.argv));
      } catch (e) {
        if (!(e instanceof TooManyStreams)) throw e;
        audit(ctx, line, { action: "terminal", argv: null, result: "refused", message: e.message });
        throw new HttpError(429, "too_many_streams", `${e.message}.`);
      }
    }
    let code: number | null = null;
    try {
      const timeout = checked.streaming ? API_STREAM_TIMEOUT_MS : FINISHED_TIMEOUT_MS;
      const out = await runToEnd(ctx, line, checked, timeout);
      code = out.code;
      return c.json(
        { exitCode: out.code, stdout: out.stdout, stderr: out.stderr } satisfies TerminalResult,
      );
    } finally {
      session?.publish({ type: "exit", code, stopped: false, message: `exit ${code}` });
    }
  });
  return app;
}

/** The OpenAPI description of {@link terminalApi}. */
export const terminalApiRoutes = [
  apiRoute({
    method: "post",
    path: "/api/v1/terminal",
    operationId: "runTerminalLine",
    summary: "Run one virsh line of the web terminal to its end",
    description: "The line is checked against the caller's role's allowlist before it runs; " +
      "a refused line answers 400 `refused_<why>` or 403 `forbidden`. A failing virsh command " +
      "is a 200 with its non-zero `exitCode` and `stderr`.",
    tag: "terminal",
    access: "viewer",
    body: { schema: terminalRequestSchema, required: true },
    responses: { 200: { description: "The line ran.", schema: terminalResultSchema } },
    errors: {
      400: 'The body is not `{"command": "..."}`, or the line is refused ' +
        "(`invalid_input`, `refused_<why>`).",
      429: "Too many streaming (`--wait`) lines are running (`too_many_streams`).",
    },
  }),
];
