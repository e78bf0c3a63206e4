/**
 * The route registry: every route of the API, in the order the document lists them. A route
 * module exports its descriptions (`export const movesApiRoutes = [apiRoute({...}), ...]`, beside
 * its handlers, naming the same zod schemas the handlers validate with) and joins here with ONE
 * line: `...movesApiRoutes,`. `tests/openapi/registry_test.ts` fails for any `/api/v1` route the
 * app serves that is missing here, so a route cannot ship undocumented.
 *
 * @module
 */
import type { ApiRoute } from "./route.ts";
import { buildOpenApiDocument } from "./document.ts";
import {
  auditExportEntrySchema,
  diskSchema,
  domainSchema,
  jobRecordSchema,
  jobResponse,
  jobSchema,
  layerSchema,
  mirrorSchema,
} from "./schemas.ts";
import { moveHistoryRecordSchema } from "../moves/schemas.ts";
import { healthApiRoutes } from "../routes/health.ts";
import { authApiRoutes } from "../routes/auth.tsx";
import { domainsApiRoutes } from "../routes/domains_api.ts";
import { jobsApiRoutes } from "../routes/jobs_api.ts";
import { movesApiRoutes } from "../routes/moves_api.ts";
import { movesQueueApiRoutes } from "../routes/moves_queue_api.ts";
import { movesCleanupApiRoutes } from "../routes/moves_cleanup_api.ts";
import { terminalApiRoutes } from "../routes/terminal_api.ts";
import { auditApiRoutes } from "../routes/audit.tsx";
import { openApiDocRoutes } from "../routes/openapi.ts";
import { adminApiRoutes } from "../routes/admin_api.ts";
import { hostsApiRoutes } from "../hosts/api_routes.ts";
import { migrationsApiRoutes } from "../routes/migrations_api.ts";

/** Every described route. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...openApiDocRoutes,
  ...healthApiRoutes,
  ...authApiRoutes,
  ...domainsApiRoutes,
  ...jobsApiRoutes,
  ...movesQueueApiRoutes,
  ...movesCleanupApiRoutes,
  ...movesApiRoutes,
  ...terminalApiRoutes,
  ...auditApiRoutes,
  ...adminApiRoutes,
  ...hostsApiRoutes,
  ...migrationsApiRoutes,
];

/** Schemas shared by several answers, listed once under these names. */
export const NAMED_SCHEMAS = {
  Domain: domainSchema,
  Disk: diskSchema,
  Layer: layerSchema,
  Mirror: mirrorSchema,
  Job: jobSchema,
  JobRecord: jobRecordSchema,
  MoveHistoryRecord: moveHistoryRecordSchema,
  JobAnswer: jobResponse,
  AuditEntry: auditExportEntrySchema,
};

/** The document for {@link API_ROUTES}. */
export function apiDocument(): Record<string, unknown> {
  return buildOpenApiDocument(API_ROUTES, {
    title: "blockboard API",
    version: "1",
    description: "Drive libvirt block jobs (pull, copy, commit, pivot, abort) over HTTP. " +
      'Errors are `{"error":{"code","message"}}` with a sentence a person can act on.',
  }, NAMED_SCHEMAS);
}

let cached: string | null = null;

/** {@link apiDocument} as JSON text, built on first use and kept in memory. */
export function apiDocumentText(): string {
  return cached ??= JSON.stringify(apiDocument(), null, 2);
}
