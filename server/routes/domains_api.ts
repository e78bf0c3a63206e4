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

/** Validates a `:name` path parameter before anything touches virsh. */
export function parseDomainParam(raw: string): string {
  const r = domainNameSchema.safeParse(raw);
  if (!r.success) throw invalidInput(r.error, "domain name");
  return r.data;
}

/** `GET /api/v1/domains`, `GET /api/v1/domains/:name`. */
export function domainsApi(inventory: Inventory): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/domains", async (c) => c.json({ domains: await inventory.listDomains() }));
  app.get("/domains/:name", async (c) => {
    const name = parseDomainParam(c.req.param("name"));
    const domain = await inventory.getDomain(name);
    if (!domain) throw new HttpError(404, "not_found", `No domain named ${JSON.stringify(name)}`);
    return c.json({ domain });
  });
  return app;
}
