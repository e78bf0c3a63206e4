/**
 * HTML pages: the dashboard and a domain's page.
 *
 * @module
 */
import { Hono } from "hono";
import type { Inventory } from "../inventory/service.ts";
import { HttpError, isLibvirtDown, libvirtHint } from "../http_errors.ts";
import { DashboardPage, DomainPage } from "../../views/pages.tsx";
import type { DiskExtras } from "../../views/dashboard.tsx";
import { parseDomainParam } from "./domains_api.ts";

/** What the page routes need. */
export interface PageDeps {
  inventory: Inventory;
  uri: string;
  extras?: DiskExtras;
}

/** `GET /`, `GET /domains/:name`. */
export function pageRoutes(deps: PageDeps): Hono {
  const app = new Hono();
  app.get("/", async (c) => {
    try {
      const domains = await deps.inventory.listDomains();
      return c.html(<DashboardPage uri={deps.uri} domains={domains} extras={deps.extras} />);
    } catch (e) {
      if (!isLibvirtDown(e)) throw e;
      return c.html(
        <DashboardPage
          uri={deps.uri}
          domains={null}
          problem={{ message: e.message, hint: libvirtHint(e) }}
        />,
        503,
      );
    }
  });
  app.get("/domains/:name", async (c) => {
    const name = parseDomainParam(c.req.param("name"));
    const domain = await deps.inventory.getDomain(name);
    if (!domain) throw new HttpError(404, "not_found", `No domain named ${JSON.stringify(name)}`);
    return c.html(<DomainPage uri={deps.uri} domain={domain} extras={deps.extras} />);
  });
  return app;
}
