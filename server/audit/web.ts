/**
 * The web app's side of the audit log, in one place: who a request's caller is, the virsh calls
 * a request made (runner call → audit entry), the qemu-img writes of storage moves, the terminal's lines, the clean-up's deletions,
 * and the refusal row for an unsafe request that did not succeed.
 *
 * A request that wrote its own entry sets `c.var.audited`, so the refusal audit adds no second
 * row. A virsh call made by the job layer learns its request from Hono's context storage (the
 * job layer is called without a context); everything else gets the request passed in.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { tryGetContext } from "hono/context-storage";
import type { AppEnv } from "../env.ts";
import type { AuditInput, AuditLog } from "./log.ts";
import { type DomainNameLookup, domainOfArgv, domainOfPath } from "./domain.ts";
import { clientAddress as peerAddress } from "../security/client.ts";
import { isSafeMethod } from "../security/methods.ts";
import { failureOf } from "../http_errors.ts";
import { mutatingSubcommand } from "../virsh/display.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { type ReportingQemuImg, writingSubcommand } from "../images/runner.ts";

/** Where entries go: the audit log, or a test's list. */
export interface AuditSink {
  record(input: AuditInput): unknown;
}

/** Who made a call, read from the request being served. */
export interface AuditCaller {
  user: string;
  role: string;
  client: string;
  /** The route, e.g. `POST /api/v1/domains/x/disks/vda/copy`. */
  action: string;
  /** The domain named in the route, if any. */
  domain?: string | null;
}

/** One finished virsh call, as the runner reports it. */
export interface FinishedCall {
  argv: string[];
  code: number | null;
  stderr: string;
  error?: Error;
}

/** One outcome of a terminal line (the terminal routes report it; the app adds the client). */
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

/** The caller of request `c`, as audit rows name it. */
export function callerOf(c: Context<AppEnv>, nameOf?: DomainNameLookup): AuditCaller {
  const user = c.var.user;
  return {
    user: user?.name ?? "anonymous",
    role: user?.role ?? "none",
    client: c.var.clientAddress ?? peerAddress(c),
    action: `${c.req.method} ${c.req.path}`.slice(0, 200),
    // The raw path: c.req.path is already partly decoded, the name must be decoded exactly once.
    domain: domainOfPath(new URL(c.req.url).pathname, nameOf),
  };
}

/**
 * Appends an audit entry for a finished mutating virsh call (others are ignored). Returns true
 * when it recorded one.
 */
export function recordVirshCall(
  audit: AuditLog,
  call: FinishedCall,
  caller: AuditCaller | null,
  host?: string,
): boolean {
  const sub = mutatingSubcommand(call.argv);
  if (!sub) return false;
  recordToolCall(audit, call, sub, caller, host);
  return true;
}

/** One audit entry for a finished call of a tool (`sub` names what it did). */
function recordToolCall(
  audit: AuditSink,
  call: FinishedCall,
  sub: string,
  caller: AuditCaller | null,
  host?: string,
): void {
  const ok = call.code === 0 && !call.error;
  audit.record({
    user: caller?.user ?? "system",
    role: caller?.role ?? "none",
    client: caller?.client ?? "",
    action: caller ? `${caller.action} (${sub})` : sub,
    argv: call.argv,
    result: ok ? "ok" : "failed",
    message: ok ? "" : (call.error?.message ?? call.stderr).slice(0, 2000),
    domain: caller?.domain ?? domainOfArgv(call.argv),
    host: host ?? null,
  });
}

/**
 * Audits every mutating virsh call the runner finishes, filed under the request that made it
 * (or `system`). Terminal lines are left out: the terminal audits them with the line as typed.
 * Returns the unsubscribe.
 */
export function auditVirshCalls(
  runner: VirshRunner,
  audit: AuditLog,
  nameOf: DomainNameLookup,
  host?: string,
): () => void {
  return runner.onCall((record) => {
    if (record.origin === "terminal") return;
    const c = tryGetContext<AppEnv>();
    const caller = c ? callerOf(c, nameOf) : null;
    if (recordVirshCall(audit, record, caller, host) && c) c.set("audited", true);
  });
}

/**
 * Audits every qemu-img call that writes a file (convert, create, rebase...; reads such as info
 * and compare are left out, as virsh's reads are) on the runner the storage moves use, filed
 * under the request that started the move, or as `system` (a move resumed after a restart). The
 * argv is recorded with `qemu-img` first, so it reads apart from virsh's. Returns the unsubscribe.
 */
export function auditQemuImgCalls(
  runner: Pick<ReportingQemuImg, "onCall">,
  audit: AuditSink,
  nameOf: DomainNameLookup,
  host?: string,
): () => void {
  return runner.onCall((record) => {
    const sub = writingSubcommand(record.argv);
    if (!sub) return;
    const c = tryGetContext<AppEnv>();
    const caller = c ? callerOf(c, nameOf) : null;
    recordToolCall(
      audit,
      { ...record, argv: ["qemu-img", ...record.argv] },
      `qemu-img ${sub}`,
      caller,
      host,
    );
    c?.set("audited", true);
  });
}

/**
 * Audits one outcome of a terminal line typed from `client` (a `--wait` line reports its end
 * after its request has been answered, so it gets the address, not the request).
 */
export function recordTerminalLine(audit: AuditSink, client: string, e: TerminalAuditEntry): void {
  audit.record({
    user: e.user,
    role: e.role ?? "none",
    client,
    action: e.action,
    argv: e.argv,
    result: e.result,
    message: `${e.message} | line: ${e.line}`.slice(0, 2000),
    domain: domainOfArgv(e.argv),
  });
}

/** Audits something a route did that is no virsh call (a clean-up deleting a file). */
export function recordRouteAction(
  audit: AuditSink,
  c: Context<AppEnv>,
  e: { action: string; result: "ok" | "refused" | "failed"; message: string },
): void {
  const caller = callerOf(c);
  audit.record({
    ...caller,
    action: `${caller.action} (${e.action})`,
    result: e.result,
    message: e.message.slice(0, 2000),
  });
  c.set("audited", true);
}

/**
 * Middleware: audits every unsafe request that did not succeed (refused 4xx, failed 5xx) unless
 * it wrote its own entry. Buffered and folded (equal refusals from one client become one row
 * with a count): a flood costs no write per request.
 */
export function auditRefusals(
  audit: AuditLog,
  nameOf: DomainNameLookup,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("audited", false);
    c.set("failure", null);
    await next();
    if (isSafeMethod(c.req.method)) return;
    const status = c.res.status;
    if (status < 400 || c.var.audited) return;
    const message = failureOf(c) ?? "";
    audit.recordRefusal({
      ...callerOf(c, nameOf),
      result: status >= 500 ? "failed" : "refused",
      message: `${status} ${message}`.trim().slice(0, 2000),
    });
  };
}
