/**
 * Test doubles for the terminal's routes: a streaming script for the suite's FakeRunner (chunks
 * until aborted), deps with a settable role and a recorded audit log, an SSE reader.
 *
 * @module
 */
import type { Context } from "hono";
import type { RunOptions, VirshRunner } from "../../server/virsh/runner.ts";
import type { TerminalAuditEntry, TerminalDeps } from "../../server/terminal/http/deps.ts";
import type { TerminalRole } from "../../server/terminal/allowlist.ts";

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

/** Deps with a mutable role/user and a recorded audit log. */
export function testDeps(runner: VirshRunner, extra: Partial<TerminalDeps> = {}) {
  const state = { role: "viewer" as TerminalRole | null, user: "alice" };
  const audits: TerminalAuditEntry[] = [];
  const deps: TerminalDeps = {
    runner,
    roleOf: (_c: Context) => state.role,
    userOf: (_c: Context) => state.user,
    audit: (e) => audits.push(e),
    ...extra,
  };
  return { deps, state, audits };
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
