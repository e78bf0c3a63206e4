/**
 * JSON API v1 for the inventory.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { Hono } from "hono";
import type { Inventory } from "../inventory/service.ts";
import { domainNameSchema } from "../virsh/values.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import { apiRoute } from "../openapi/route.ts";
import { virshErrors } from "../openapi/document.ts";
import {
  type DomainListResponse,
  domainListResponse,
  type DomainResponse,
  domainResponse,
} from "../openapi/schemas.ts";

/** Validates a `:name` path parameter before anything touches virsh. */
export function parseDomainParam(raw: string): string {
  const r = domainNameSchema.safeParse(raw);
  if (!r.success) throw invalidInput(r.error, "domain name");
  return r.data;
}

/** `GET /api/v1/domains`, `GET /api/v1/domains/:name`. */
export function domainsApi(inventory: Inventory): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(
    "/domains",
    async (c) => c.json({ domains: await inventory.listDomains() } satisfies DomainListResponse),
  );
  app.get("/domains/:name", async (c) => {
    const name = parseDomainParam(c.req.param("name"));
    const domain = await inventory.getDomain(name);
    if (!domain) throw new HttpError(404, "not_found", `No domain named ${JSON.stringify(name)}`);
    return c.json({ domain } satisfies DomainResponse);
  });
  return app;
}

/** The OpenAPI descriptions of {@link domainsApi}. */
export const domainsApiRoutes = [
  apiRoute({
    method: "get",
    path: "/api/v1/domains",
    operationId: "listDomains",
    summary: "Every domain with its disks, backing chains and block jobs",
    tag: "domains",
    access: "viewer",
    responses: {
      200: { description: "The domains, in natural name order.", schema: domainListResponse },
    },
    errors: virshErrors(),
  }),
  apiRoute({
    method: "get",
    path: "/api/v1/domains/:name",
    operationId: "getDomain",
    summary: "One domain by name or UUID",
    tag: "domains",
    access: "viewer",
    params: { name: domainNameSchema },
    responses: { 200: { description: "The domain.", schema: domainResponse } },
    errors: { 404: "No domain has this name (`not_found`).", ...virshErrors() },
  }),
];
