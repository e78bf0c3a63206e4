/**
 * `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 description. Mounted behind the dashboard's
 * gate (any signed-in role, like every read of the API): it holds no secret, but it maps every
 * route, and anyone who scripts blockboard has a token anyway. Built once, on first request.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { apiRoute } from "../openapi/route.ts";
import { openApiDocumentSchema } from "../openapi/schemas.ts";

/** The route, given the document's text (computed once by the caller, see `openapi/registry.ts`). */
export function openApiRoutes(documentText: () => string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", (c) =>
    c.body(documentText(), 200, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-cache",
    }));
  return app;
}

/** The OpenAPI description of {@link openApiRoutes}. */
export const openApiDocRoutes = [
  apiRoute({
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This document",
    tag: "meta",
    access: "viewer",
    responses: { 200: { description: "The OpenAPI 3.1 document.", schema: openApiDocumentSchema } },
  }),
];
