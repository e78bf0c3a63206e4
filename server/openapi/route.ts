/**
 * How a route describes itself for the OpenAPI document: its method and path, the zod schemas
 * that validate its path parameters, query and body (the same objects the handler parses with),
 * the zod schema of each answer, who may call it, and the errors it can give. A route module
 * exports its descriptions next to its handlers; `registry.ts` lists them.
 *
 * @module
 */
import type { z } from "zod";
import type { Role } from "../auth/roles.ts";

/** HTTP methods the API uses. */
export type ApiMethod = "get" | "post" | "put" | "patch" | "delete";

/** One answer of a route. */
export interface ApiAnswer {
  description: string;
  /** zod schema of the JSON body; absent for answers without a JSON body. */
  schema?: z.ZodType;
  /** Media type when not `application/json` (`text/csv`, `text/html`). */
  contentType?: string;
  /** Headers the answer carries (name → description). */
  headers?: Record<string, string>;
}

/** The description of one route. */
export interface ApiRoute {
  method: ApiMethod;
  /** Full path in Hono's syntax (`/api/v1/domains/:name`). */
  path: string;
  /** Unique, stable, camelCase. */
  operationId: string;
  summary: string;
  description?: string;
  /** Grouping in the document (`domains`, `jobs`, `terminal`, `audit`, `auth`, `meta`). */
  tag: string;
  /** `public` (no sign-in) or the least role that may call it. */
  access: "public" | Role;
  /** Path parameter name → the schema the handler validates it with. */
  params?: Record<string, z.ZodType>;
  /** Query-string schema (an object of strings) the handler validates with. */
  query?: z.ZodType;
  /** The request body the handler validates with; `required: false` when it may be absent. */
  body?: { schema: z.ZodType; required: boolean; contentType?: string };
  /** Successful answers by status. */
  responses: Record<number, ApiAnswer>;
  /**
   * Errors this route itself can give (status → when). The document adds the ones every route
   * of its kind can give: 400 for routes with input, 401/403 for signed-in routes, 413 for
   * bodies, 421 (Host), 500.
   */
  errors?: Record<number, string>;
}

/** Declares a route description (typed identity: the one line a route module writes). */
export function apiRoute(route: ApiRoute): ApiRoute {
  return route;
}
