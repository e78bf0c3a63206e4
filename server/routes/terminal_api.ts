/**
 * `POST /api/v1/terminal` `{"command": "..."}`: one terminal line, run to its end, as JSON.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { toHttpError } from "../../http_errors.ts";
import { apiError } from "../../security/respond.ts";
import { TerminalRefusal } from "../refusal.ts";
import type { TerminalDeps } from "./deps.ts";
import { registryOf, type StreamSession, TooManyStreams } from "./sessions.ts";
import { displayCommandLine } from "../../virsh/display.ts";
import {
  API_STREAM_TIMEOUT_MS,
  audit,
  callerOf,
  checkLine,
  FINISHED_TIMEOUT_MS,
  runToEnd,
} from "./execute.ts";

/** The request body. The tokenizer enforces the line length; the cap here bounds the body. */
export const terminalRequestSchema = z.object({
  command: z.string().max(65_536),
}).strict();

/** `{"error":{"code","message"}}` code for a refusal: `forbidden` for role, else `refused_<why>`. */
export function refusalCode(refusal: TerminalRefusal): string {
  return refusal.status === 403 ? "forbidden" : `refused_${refusal.code.replaceAll("-", "_")}`;
}

/** Routes mounted at `/api/v1`: `POST /terminal`. */
export function terminalApi(deps: TerminalDeps): Hono {
  const app = new Hono();
  app.post("/terminal", async (c) => {
    const caller = callerOf(deps, c);
    if (caller.role === null) {
      return apiError(c, 401, "unauthorized", "Sign in or send an API token to use the terminal.");
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
      audit(deps, caller, "", { action: "terminal", argv: null, result: "refused", message });
      return apiError(c, 400, "invalid_input", message);
    }
    const line = parsed.data.command;
    const checked = checkLine(deps, { ...caller, role: caller.role }, line);
    if (checked instanceof TerminalRefusal) {
      return apiError(c, checked.status, refusalCode(checked), checked.reason);
    }
    // A `--wait` line holds a stream slot (shared with the panel) for as long as it runs.
    let session: StreamSession | null = null;
    if (checked.streaming) {
      try {
        session = registryOf(deps).create(
          caller.user,
          displayCommandLine(deps.runner.uri, checked.argv),
        );
      } catch (e) {
        if (!(e instanceof TooManyStreams)) throw e;
        audit(deps, caller, line, {
          action: "terminal",
          argv: null,
          result: "refused",
          message: e.message,
        });
        return apiError(c, 429, "too_many_streams", `${e.message}.`);
      }
    }
    let code: number | null = null;
    try {
      const out = await runToEnd(
        deps,
        caller,
        line,
        checked,
        checked.streaming ? API_STREAM_TIMEOUT_MS : FINISHED_TIMEOUT_MS,
      );
      code = out.code;
      return c.json({ exitCode: out.code, stdout: out.stdout, stderr: out.stderr });
    } catch (e) {
      const err = toHttpError(e);
      return apiError(c, err.status, err.code, err.message);
    } finally {
      session?.publish({ type: "exit", code, stopped: false, message: `exit ${code}` });
    }
  });
  return app;
}
