/**
 * Test doubles for the terminal's routes: a scripted runner that records every call (with its
 * options), feeds `onCall` listeners like the real one, and can stream chunks until aborted; deps
 * with a settable role and a recorded audit log; an SSE reader.
 *
 * @module
 */
import type {
  RunOptions,
  VirshCallRecord,
  VirshOutput,
  VirshRunner,
} from "../../server/virsh/runner.ts";
import type { Context } from "hono";
import type { TerminalAuditEntry, TerminalDeps } from "../../server/terminal/http/deps.ts";
import type { TerminalRole } from "../../server/terminal/allowlist.ts";

/** What a scripted call answers. */
export type Answer = { stdout?: string; stderr?: string; code?: number };

/** A runner answering from a script; `calls` holds every call, `onCall` works as in SpawnRunner. */
export class ScriptedRunner implements VirshRunner {
  readonly uri = "qemu:///fake";
  readonly calls: { args: string[]; options: RunOptions }[] = [];
  #listeners = new Set<(r: VirshCallRecord) => void>();

  constructor(
    public script: (args: readonly string[], options: RunOptions) => Answer | Promise<Answer> =
      () => ({}),
  ) {}

  async run(args: readonly string[], options: RunOptions = {}): Promise<VirshOutput> {
    this.calls.push({ args: [...args], options });
    const argv = ["-c", this.uri, ...args];
    const answer = await this.script(args, options);
    const out = {
      argv,
      stdout: answer.stdout ?? "",
      stderr: answer.stderr ?? "",
      code: answer.code ?? 0,
    };
    this.emit({
      argv,
      code: out.code,
      stdout: out.stdout,
      stderr: out.stderr,
      startedAt: new Date(),
      durationMs: 1,
    });
    return out;
  }

  onCall(listener: (r: VirshCallRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Feeds a record to the listeners, as if some other part of the app had run virsh. */
  emit(record: VirshCallRecord): void {
    for (const l of this.#listeners) l(record);
  }
}

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
