/**
 * `GET /audit` (browse and filter), `GET /audit.csv`, `GET /audit.json` (export). Read-only:
 * nothing here can change the log.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { AUDIT_RESULTS, type AuditFilter, type AuditLog } from "../audit/log.ts";
import { HttpError } from "../http_errors.ts";
import { AuditPage } from "../../views/audit.tsx";
import { layoutSessionOf } from "./viewer.ts";
import { apiRoute } from "../openapi/route.ts";
import { auditExportResponse } from "../openapi/schemas.ts";

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
function readFilter(c: Context<AppEnv>): AuditFilter {
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

/** The audit page and its exports (the app mounts them behind the audit gate). */
export function auditRoutes(deps: AuditRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
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

const exportDescription = "Every entry matching the filter (empty fields mean any), newest first.";

/** The OpenAPI descriptions of the exports (the HTML page is not part of the API). */
export const auditApiRoutes = [
  apiRoute({
    method: "get",
    path: "/audit.json",
    operationId: "exportAuditJson",
    summary: "The audit log as JSON",
    description: exportDescription,
    tag: "audit",
    access: "operator",
    query: filterSchema,
    responses: {
      200: { description: "The entries (an attachment).", schema: auditExportResponse },
    },
  }),
  apiRoute({
    method: "get",
    path: "/audit.csv",
    operationId: "exportAuditCsv",
    summary: "The audit log as CSV",
    description: exportDescription,
    tag: "audit",
    access: "operator",
    query: filterSchema,
    responses: {
      200: { description: "The entries (an attachment), one row each.", contentType: "text/csv" },
    },
  }),
];
