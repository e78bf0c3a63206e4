/**
 * `GET /audit` (browse and filter), `GET /audit.csv`, `GET /audit.json` (export). Read-only:
 * nothing here can change the log.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { AUDIT_RESULTS, type AuditFilter, type AuditLog } from "../audit/log.ts";
import type { AuthEnv } from "../auth/middleware.ts";
import { HttpError } from "../http_errors.ts";
import { mutatingSubcommand } from "../virsh/display.ts";
import { domainOfArgv } from "../audit/domain.ts";
import { AuditPage } from "../../views/audit.tsx";
import { layoutSessionOf } from "./viewer.ts";

/** What the audit routes need. */
export interface AuditRouteDeps {
  audit: AuditLog;
  uri: string;
}

const filterSchema = z.object({
  user: z.string().max(100, "user filter too long").optional(),
  /** A part of the action, any case. */
  action: z.string().max(100, "action filter too long").optional(),
  result: z.enum(AUDIT_RESULTS, { error: "result must be ok, refused or failed" }).optional(),
  /** The domain's exact name. */
  domain: z.string().max(255, "domain filter too long").optional(),
});

/** The query-string fields of the filter, in the form's order. */
const FILTER_FIELDS = ["user", "domain", "action", "result"] as const;

/**
 * The filter from the query string (the page and both exports read the same one); empty fields
 * mean "any".
 */
function readFilter(c: Context): AuditFilter {
  const raw: Record<string, string> = {};
  for (const key of FILTER_FIELDS) {
    const value = c.req.query(key);
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const r = filterSchema.safeParse(raw);
  if (!r.success) throw new HttpError(400, "invalid_input", r.error.issues[0].message);
  return r.data;
}

function queryString(filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (typeof v === "string") params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** The audit page and its exports (gate them with `requireRole` in the app). */
export function auditRoutes(deps: AuditRouteDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get("/audit", (c) => {
    const filter = readFilter(c);
    const { entries, total } = deps.audit.query({ ...filter, limit: 500 });
    return c.html(
      <AuditPage
        uri={deps.uri}
        session={layoutSessionOf(c)}
        entries={entries}
        total={total}
        filter={filter}
        query={queryString(filter)}
      />,
    );
  });
  app.get("/audit.csv", (c) => {
    c.header("Content-Disposition", 'attachment; filename="blockboard-audit.csv"');
    return c.body(deps.audit.exportCsv(readFilter(c)), 200, {
      "Content-Type": "text/csv; charset=utf-8",
    });
  });
  app.get("/audit.json", (c) => {
    c.header("Content-Disposition", 'attachment; filename="blockboard-audit.json"');
    return c.body(deps.audit.exportJson(readFilter(c)), 200, {
      "Content-Type": "application/json; charset=utf-8",
    });
  });
  return app;
}

/** Who made the call, read from the request being served (if any). */
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

/**
 * Appends an audit entry for a finished mutating virsh call (others are ignored). Returns true
 * when it recorded one.
 */
export function recordVirshCall(
  audit: AuditLog,
  call: FinishedCall,
  caller: AuditCaller | null,
): boolean {
  const sub = mutatingSubcommand(call.argv);
  if (!sub) return false;
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
  });
  return true;
}
