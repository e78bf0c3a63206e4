/**
 * What the terminal's HTTP routes need from the app: the runner, the caller's role and name, the
 * audit sink, the event feed and the origins a stream may be opened from.
 *
 * @module
 */
import type { Context } from "hono";
import type { VirshRunner } from "../../virsh/runner.ts";
import type { CopyPolicy, TerminalRole } from "../allowlist.ts";

/** One audit record the terminal writes (the app adds time and client address). */
export interface TerminalAuditEntry {
  user: string;
  role: string | null;
  /** `terminal` (a line), `terminal.exit` (a stream ended), `terminal.stop` (Stop pressed). */
  action: string;
  /** The exact argv after the binary (`-c URI` included), or null when nothing was run. */
  argv: string[] | null;
  /** The line as typed. */
  line: string;
  result: "ok" | "refused" | "failed";
  message: string;
}

/** Dependencies of {@link terminalApi} and {@link terminalUi}. */
export interface TerminalDeps {
  runner: VirshRunner;
  /** Storage-root rule for `blockcopy --dest` and `snapshot-create-as --diskspec file=`. */
  copyPolicy?: CopyPolicy;
  /** The caller's role; null answers 401. */
  roleOf(c: Context): TerminalRole | null;
  /** The caller's name (for audit, history and stream ownership). */
  userOf(c: Context): string;
  /** Records one audit entry; must not throw (a throw is caught and logged). */
  audit?(entry: TerminalAuditEntry): void;
  /** Subscribe to raw `virsh event --all --loop --timestamp` lines; returns an unsubscribe. */
  subscribeEvents?(listener: (line: string) => void): () => void;
  /**
   * Origins an SSE stream may be opened from: full origins (`https://host:8443`) or bare
   * `host[:port]`. Default: the request's own `Host`.
   */
  allowedOrigins?(c: Context): string[];
}
