/**
 * HTML pages: the dashboard and a domain's page.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { type Context, Hono } from "hono";
import type { Inventory } from "../inventory/service.ts";
import { HttpError, isLibvirtDown, libvirtHint } from "../http_errors.ts";
import { DashboardPage, DomainPage } from "../../views/pages.tsx";
import { diskExtras } from "../../views/disk_extras.tsx";
import type { Domain } from "../inventory/model.ts";
import { copyDestLookup } from "./copy_dest.ts";
import { parseDomainParam } from "./domains_api.ts";
import { canControlOf, layoutSessionOf } from "./viewer.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { JobHistory } from "../jobs/history.ts";
import { JobFeed } from "../../views/job_feed.tsx";

/** What the page routes need. */
export interface PageDeps {
  inventory: Inventory;
  uri: string;
  /** Directories copy destinations may be in (shown in the copy form). */
  storageRoots: readonly string[];
  /** Its generation starts the page's change feed (jobs started or ended elsewhere). */
  monitor?: JobMonitor;
  /** Recent jobs under each disk. */
  history?: JobHistory | null;
}

/** `GET /`, `GET /domains/:name`. */
export function pageRoutes(deps: PageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // The forms a page offers follow the caller's role.
  const extras = async (c: Context<AppEnv>, domains: readonly Domain[]) =>
    diskExtras({
      canControl: canControlOf(c),
      storageRoots: deps.storageRoots,
      // Only operators see the copy form: no probing for viewers.
      copyDest: canControlOf(c) ? await copyDestLookup(domains, deps.storageRoots) : undefined,
      history: (uuid, target) => deps.history?.recent(uuid, target, 5) ?? [],
    });
  // Read before the listing, so a change made while the page renders is sent again, not lost.
  const feed = () => deps.monitor ? <JobFeed generation={deps.monitor.generation} /> : null;
  app.get("/", async (c) => {
    try {
      const live = feed();
      const domains = await deps.inventory.listDomains();
      return c.html(
        <DashboardPage
          uri={deps.uri}
          session={layoutSessionOf(c)}
          domains={domains}
          extras={await extras(c, domains)}
          banners={live}
        />,
      );
    } catch (e) {
      if (!isLibvirtDown(e)) throw e;
      return c.html(
        <DashboardPage
          uri={deps.uri}
          session={layoutSessionOf(c)}
          domains={null}
          problem={{ message: e.message, hint: libvirtHint(e) }}
        />,
        503,
      );
    }
  });
  app.get("/domains/:name", async (c) => {
    const name = parseDomainParam(c.req.param("name"));
    const live = feed();
    const domain = await deps.inventory.getDomain(name);
    if (!domain) throw new HttpError(404, "not_found", `No domain named ${JSON.stringify(name)}`);
    return c.html(
      <DomainPage
        uri={deps.uri}
        session={layoutSessionOf(c)}
        domain={domain}
        extras={await extras(c, [domain])}
        banners={live}
      />,
    );
  });
  return app;
}
