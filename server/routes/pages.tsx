/**
 * HTML pages: the dashboard (a compact, filtered list; see `inventory/filter.ts`) and a domain's
 * page (chains and forms).
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { type Context, Hono } from "hono";
import type { Child } from "hono/jsx";
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
import type { MigrationHistoryRecord } from "../migrations/job_history.ts";
import { recentHistory } from "../jobs/history_entries.ts";
import type { MoveService } from "../moves/model.ts";
import { JobFeed } from "../../views/job_feed.tsx";
import { filterDomains, jobsRunningNow, parseDashboardQuery } from "../inventory/filter.ts";
import { DomainResults, RESULTS_ID } from "../../views/domain_list.tsx";
import { JOBS_STRIP_ID, JobsStrip } from "../../views/jobs_strip.tsx";

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
  /** The domain's finished migrations, joining the recent jobs of each of its disks. */
  migrationHistory?: (uuid: string, limit: number) => MigrationHistoryRecord[];
  /** Storage moves: finished ones join the recent jobs of the disks they moved. */
  moves?: Pick<MoveService, "list"> | null;
  /** Shown above every page (the host switcher and banners of hosts that do not answer). */
  hostNav?: () => Child;
  /** A host blockboard cannot stat files on: its running pools, for the copy form. */
  volumePools?: () => Promise<readonly string[] | null>;
  /** Below a domain's card: its migration panel (when there are hosts to migrate to). */
  migrationSlot?: (domain: { name: string; uuid: string }) => Child;
  /** The domain page's Move storage section (absent: none). */
  moveSection?: (c: Context<AppEnv>, domain: Domain) => Child;
  /** The dashboard's storage-move queue (absent: none). */
  moveQueue?: (c: Context<AppEnv>) => Child;
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
      history: (uuid, target) =>
        recentHistory(
          {
            history: deps.history,
            moves: deps.moves,
            migrations: (q) => deps.migrationHistory?.(q.domain ?? uuid, q.limit) ?? [],
          },
          uuid,
          target,
          5,
        ),
      volumePools: canControlOf(c) ? await deps.volumePools?.() ?? null : null,
    });
  // Read before the listing, so a change made while the page renders is sent again, not lost.
  const feed = () =>
    deps.monitor
      ? <JobFeed generation={deps.monitor.generation} chains={deps.inventory.generation} />
      : null;
  app.get("/", async (c) => {
    // htmx asks for one part: the list (the filter form) or the jobs strip (its poller).
    const part = c.req.header("HX-Request-Type") === "partial" ? c.req.header("HX-Target") : "";
    const parsed = parseDashboardQuery(c.req.query());
    if (!parsed.ok) {
      if (part?.endsWith(`#${RESULTS_ID}`)) {
        return c.html(<DomainResults domains={[]} total={0} error={parsed.error} />, 400);
      }
      throw new HttpError(400, "invalid_input", parsed.error);
    }
    try {
      const live = feed();
      const all = await deps.inventory.listDomains();
      const domains = filterDomains(all, parsed.query);
      if (part?.endsWith(`#${RESULTS_ID}`)) {
        return c.html(<DomainResults domains={domains} total={all.length} />);
      }
      if (part?.endsWith(`#${JOBS_STRIP_ID}`)) {
        return c.html(<JobsStrip jobs={jobsRunningNow(all)} />);
      }
      return c.html(
        <DashboardPage
          uri={deps.uri}
          session={layoutSessionOf(c)}
          domains={domains}
          total={all.length}
          query={parsed.query}
          jobs={jobsRunningNow(all)}
          banners={<>{deps.hostNav?.()}{live}</>}
          moves={deps.moveQueue?.(c)}
        />,
      );
    } catch (e) {
      if (!isLibvirtDown(e)) throw e;
      return c.html(
        <DashboardPage
          uri={deps.uri}
          session={layoutSessionOf(c)}
          domains={null}
          query={parsed.query}
          banners={deps.hostNav?.()}
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
        banners={<>{deps.hostNav?.()}{live}</>}
        migration={deps.migrationSlot?.(domain)}
        moves={deps.moveSection?.(c, domain)}
      />,
    );
  });
  return app;
}
