/**
 * The terminal's routes in a small app of their own, mounted the way `createApp` mounts them
 * (the terminal gate, the app's `onError`), with a settable caller, a recorded audit log and a
 * fake event feed; plus a streaming script for the suite's FakeRunner and an SSE reader.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv } from "../../server/env.ts";
import type { RunOptions, VirshRunner } from "../../server/virsh/runner.ts";
import type { AuditInput } from "../../server/audit/log.ts";
import type { Role } from "../../server/auth/roles.ts";
import { ACCESS, gate } from "../../server/auth/policy.ts";
import { errorHandler, notFoundHandler } from "../../server/routes/error_pages.tsx";
import { terminalApi } from "../../server/routes/terminal_api.ts";
import { terminalUi } from "../../server/routes/terminal_ui.tsx";
import { type TerminalOptions, TerminalState } from "../../server/routes/terminal/state.ts";

/** Options of {@link terminalWorld}. */
export interface TerminalWorldOptions {
  terminal?: TerminalOptions;
  /** The Host allowlist streams are checked against; default the request's Host. */
  allowedHosts?: ReadonlySet<string>;
  /** Copy destinations must lie under these. */
  storageRoots?: readonly string[];
}

/**
 * Both terminal route groups for a caller set through `who` (role null: anonymous). `audits`
 * holds what the audit log was given; `feed(line)` plays a `virsh event` line.
 */
export function terminalWorld(runner: VirshRunner, options: TerminalWorldOptions = {}) {
  const who = { role: "viewer" as Role | null, user: "alice" };
  const audits: AuditInput[] = [];
  const listeners = new Set<(line: string) => void>();
  const started: { argv: readonly string[]; user: string }[] = [];
  const state = new TerminalState({
    runner,
    storageRoots: options.storageRoots ?? null,
    audit: { record: (input: AuditInput) => audits.push(input) },
    monitor: {
      onEventLine: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      noteTerminalLine: (argv, user) => started.push({ argv, user }),
    },
  }, options.terminal);
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("user", who.role ? { name: who.user, role: who.role, via: "session" } : null);
    c.set("session", null);
    c.set("csrfToken", null);
    c.set("openMode", false);
    c.set("clientAddress", "127.0.0.1");
    c.set("audited", false);
    c.set("failure", null);
    await next();
  });
  app.use("/api/v1/terminal", gate(ACCESS.terminal));
  app.route("/api/v1/terminal", terminalApi(state));
  app.use("/ui/terminal/*", gate(ACCESS.terminal));
  app.route("/ui/terminal", terminalUi(state, { allowedHosts: options.allowedHosts }));
  app.notFound(notFoundHandler({ uri: runner.uri }));
  app.onError(errorHandler({ uri: runner.uri }));
  const feed = (line: string) => listeners.forEach((l) => l(line));
  return { app, who, audits, feed, started, state };
}

/** The line a terminal audit entry was written for (`… | line: LINE`). */
export function lineOf(entry: AuditInput): string {
  const message = entry.message ?? "";
  return message.slice(message.indexOf(" | line: ") + " | line: ".length);
}

/** A scripted output of the suite's FakeRunner. */
type Answer = { stdout?: string; stderr?: string; code?: number };

/** A streaming answer: sends `chunks` to stderr, then waits until aborted (exit 137) or `release`. */
export function streamingScript(chunks: string[]) {
  let release!: (a: Answer) => void;
  const released = new Promise<Answer>((r) => release = r);
  const script = (args: readonly string[], options: RunOptions): Answer | Promise<Answer> => {
    if (!args.includes("--wait")) return {};
    for (const c of chunks) options.onStderr?.(c);
    return new Promise<Answer>((resolve) => {
      options.signal?.addEventListener("abort", () => resolve({ code: 137 }), { once: true });
      released.then(resolve);
    });
  };
  return { script, release: (a: Answer) => release(a) };
}
/** Reads SSE messages from a response until `done(messages)` is true, then cancels the body. */
export async function readSse(
  res: Response,
  done: (messages: { event: string; data: string; id: string }[]) => boolean,
  timeoutMs = 5000,
): Promise<{ event: string; data: string; id: string }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const messages: { event: string; data: string; id: string }[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!done(messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SSE: timed out; got ${JSON.stringify(messages)}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        reader.read(),
        new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
      ]);
      clearTimeout(timer);
      if (next === "timeout") continue;
      if (next.done) break;
      buffer += next.value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const m = { event: "message", data: "", id: "" };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) m.event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
          else if (line.startsWith("id: ")) m.id = line.slice(4);
        }
        if (data.length === 0 && m.event === "message") continue; // a heartbeat comment
        m.data = data.join("\n");
        messages.push(m);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return messages;
}
