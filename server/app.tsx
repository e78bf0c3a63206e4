/**
 * The Hono application: the security chain (headers → body caps → Host → Origin → auth → CSRF),
 * the audit hooks, and the route groups, each mounted behind the role gate the access policy
 * (`auth/policy.ts`) gives it. Errors end in one `onError`: JSON for the API, a page for HTML.
 *
 * Without `security` (unit tests that build `createApp(createServices(runner))`) it runs in open
 * loopback mode: the caller is the local admin and no guard runs. `main.ts` always passes
 * `security`.
 *
 * @module
 */
import { Hono } from "hono";
import { contextStorage } from "hono/context-storage";
import type { AppEnv } from "./env.ts";
import type { SecurityServices, Services } from "./services.ts";
import { healthRoutes } from "./routes/health.ts";
import { domainsApi } from "./routes/domains_api.ts";
import { pageRoutes } from "./routes/pages.tsx";
import { staticRoutes } from "./routes/static.ts";
import { authRoutes } from "./routes/auth.tsx";
import { errorHandler, htmlErrorPages, notFoundHandler } from "./routes/error_pages.tsx";
import { auditRoutes } from "./routes/audit.tsx";
import { jobsApi } from "./routes/jobs_api.ts";
import { movesApi } from "./routes/moves_api.ts";
import { jobsUi } from "./routes/jobs_ui.tsx";
import { cleanupUi } from "./routes/cleanup_ui.tsx";
import { terminalApi } from "./routes/terminal_api.ts";
import { terminalUi } from "./routes/terminal_ui.tsx";
import { type TerminalOptions, TerminalState } from "./routes/terminal/state.ts";
import { openLoopback } from "./auth/middleware.ts";
import { ACCESS, gate } from "./auth/policy.ts";
import { securityMiddleware } from "./security/stack.ts";
import { auditQemuImgCalls, auditRefusals, auditVirshCalls } from "./audit/web.ts";
import { domainNamesFromJobs } from "./audit/domain.ts";
import { bodyLimits } from "./http/body_limit.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { apiDocumentText } from "./openapi/registry.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { adminUi } from "./routes/admin_ui.tsx";
import { adminApi } from "./routes/admin_api.ts";
import { AccountAdmin } from "./auth/admin.ts";
import type { HostRegistry } from "./hosts/model.ts";
import { singleHostRegistry } from "./hosts/single.ts";
import { hostsRoutes, mountHostRoutes } from "./hosts/routes.tsx";
import { HostNav } from "../views/hosts.tsx";
import { MigrationService } from "./migrations/service.ts";
import { migrationsApi } from "./routes/migrations_api.ts";
import { migrationsUi } from "./routes/migrations_ui.tsx";
import { MigrationSlot } from "../views/migration.tsx";
import { volumePoolsFor } from "./volumes/remote_copy.ts";
import { moveQueuePanelFor, moveSectionFor, movesUi } from "./routes/moves_ui.tsx";
import { movesQueueApi } from "./routes/moves_queue_api.ts";
import { movesCleanupApi } from "./routes/moves_cleanup_api.ts";
import { hostMoveDeps, moveRouteGroups } from "./routes/moves_host_routes.ts";

/** Everything the app needs, injected so tests can substitute parts. */
export interface AppDeps extends Services {
  /** Login, sessions, tokens, audit; absent means open loopback mode without guards. */
  security?: SecurityServices;
  /** Limits of the web terminal (tests shorten them). */
  terminal?: TerminalOptions;
  /** Aborting it closes the app: its runner and monitor subscriptions are removed. */
  signal?: AbortSignal;
  /**
   * Every libvirt host (`server/hosts/`); its default host's services are the ones above.
   * Absent: the one host of the services above.
   */
  hosts?: HostRegistry;
  /**
   * Live migrations between the hosts (`server/migrations/`); absent: one without a history
   * (with a single host it only ever refuses: there is nowhere to go).
   */
  migrations?: MigrationService;
}

export type { AppEnv } from "./env.ts";

/** Builds the application. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const security = deps.security;
  const uri = deps.runner.uri;
  const nameOf = domainNamesFromJobs(deps.monitor);
  const hosts = deps.hosts ?? singleHostRegistry(deps);
  // With one host there is nothing to switch to: pages stay as they were.
  const hostNav = (current: string) =>
    hosts.list().length < 2 ? undefined : () => (
      <HostNav
        current={current}
        hosts={hosts.list().map((h) => ({
          name: h.name,
          uri: h.uri,
          isDefault: h.isDefault,
          status: h.status(),
        }))}
      />
    );
  const migrations = deps.migrations ?? new MigrationService({ hosts });
  // Migrations are jobs like the others: /metrics shows them.
  deps.metrics.watchMigrations(migrations);
  // What a host's disk cards show of migrations: where a domain went, and in recent jobs.
  const migrationsOf = (host: string) => ({
    departedTo: (uuid: string) => migrations.departed(host, uuid),
    migrationHistory: (q: { domain?: string; limit: number }) => migrations.finished(host, q),
  });
  // A domain's page offers Migrate when there is another host to go to.
  const migrationSlot = (current: string) =>
    hosts.list().length < 2 ? undefined : (domain: { name: string; uuid: string }) => (
      <MigrationSlot
        host={current}
        domain={domain}
      />
    );
  const terminal = new TerminalState({ ...deps, audit: security?.audit }, deps.terminal);
  const closers = [() => terminal.close()];
  // Outermost: counts every answer, refusals included.
  app.use(deps.metrics.countRequests());
  // Lets the audit find the request of a virsh call the job layer makes.
  app.use(contextStorage());

  if (security) {
    app.use(auditRefusals(security.audit, nameOf));
    // Inside the audit (it sees the status) and outside the guards (it sees their refusals).
    app.use(htmlErrorPages({ uri }));
    // Prometheus: its own bearer check, ahead of the session and CSRF guards it does not need.
    app.route(
      "/",
      metricsRoutes({
        render: () => deps.metrics.render(),
        access: {
          tokens: security.tokens,
          metricsToken: security.metricsToken,
          openMode: security.openMode,
          allowedHosts: security.allowedHosts,
        },
      }),
    );
    const [headers, ...guards] = securityMiddleware({
      allowedHosts: security.allowedHosts,
      sessions: security.sessions,
      tokens: security.tokens,
      openMode: security.openMode,
      secureCookie: security.secureCookie,
      clientAddress: security.clientAddress,
    });
    // Body caps right inside the security headers (so a 413 carries them), before the CSRF
    // check or any route parses a body.
    app.use(headers, bodyLimits(), ...guards);
    for (const host of hosts.list()) {
      const services = host.services;
      const names = services === deps ? nameOf : domainNamesFromJobs(services.monitor);
      closers.push(auditVirshCalls(services.runner, security.audit, names, host.name));
      closers.push(auditQemuImgCalls(services.moveQemuImg, security.audit, names, host.name));
    }
  } else {
    app.use(bodyLimits(), openLoopback());
    app.route("/", metricsRoutes({ render: () => deps.metrics.render(), access: null }));
  }
  deps.signal?.addEventListener("abort", () => closers.forEach((close) => close()), { once: true });

  // Public: the health probe, the assets, the login form.
  app.route("/", healthRoutes(uri, deps.monitor.libvirt));
  app.route("/static", staticRoutes());
  if (security) app.route("/", authRoutes({ security, uri }));

  // Several hosts: every request knows them (the terminal's host selector).
  if (hosts.list().length > 1) {
    const choices = hosts.list().map((h) => ({
      name: h.name,
      uri: h.uri,
      href: h.isDefault ? "/" : `/hosts/${h.name}`,
    }));
    app.use("*", async (c, next) => {
      c.set("hostChoices", choices);
      await next();
    });
  }
  // Each host's own terminal (its runner, `virsh -c URI`), the default host's being the one below.
  for (const host of hosts.list()) {
    const own = host.services === deps ? terminal : new TerminalState(
      { ...host.services, audit: security?.audit },
      deps.terminal,
    );
    if (own !== terminal) closers.push(() => own.close());
    const base = `/hosts/${host.name}/ui/terminal`;
    app.use(`/api/v1/hosts/${host.name}/terminal`, gate(ACCESS.terminal));
    app.route(`/api/v1/hosts/${host.name}/terminal`, terminalApi(own));
    app.use(`${base}/*`, async (c, next) => {
      c.set("hostBase", `/hosts/${host.name}`);
      await next();
    }, gate(ACCESS.terminal));
    app.route(base, terminalUi(own, { allowedHosts: security?.allowedHosts }));
  }
  // The terminal: any signed-in role; each line is checked against the role's allowlist.
  app.use("/api/v1/terminal", gate(ACCESS.terminal));
  app.route("/api/v1/terminal", terminalApi(terminal));
  app.use("/ui/terminal/*", gate(ACCESS.terminal));
  app.route("/ui/terminal", terminalUi(terminal, { allowedHosts: security?.allowedHosts }));

  // The audit log: operators.
  app.use("/audit", gate(ACCESS.audit));
  app.use("/audit.*", gate(ACCESS.audit));
  if (security) app.route("/", auditRoutes({ audit: security.audit, uri }));

  // Users, tokens and sessions: admins.
  app.use("/admin/*", gate(ACCESS.admin));
  app.use("/api/v1/admin/*", gate(ACCESS.admin));
  if (security) {
    const admin = new AccountAdmin(security);
    const secureCookie = security.secureCookie;
    app.route("/admin", adminUi({ admin, uri, secureCookie }));
    app.route("/api/v1/admin", adminApi({ admin, secureCookie }));
  }

  // Everything else, unknown paths included: viewers read, operators change. Registered after
  // the groups above, so it runs only for requests none of them answered.
  app.use("*", gate(ACCESS.dashboard));
  // Before the host groups, whose catch-all answers 404 for any other `/api/v1/hosts/{host}/…`.
  app.route("/api/v1", migrationsApi({ hosts, migrations }));
  // Every host: GET /api/v1/hosts, the all-hosts page, and each route group per host.
  app.route("/", hostsRoutes({ registry: hosts }));
  mountHostRoutes(app, hosts, (host) => {
    const s = host.services;
    const hostMoves = hostMoveDeps(s, security?.audit);
    return [
      ...moveRouteGroups(hostMoves),
      { under: "api", path: "", routes: domainsApi(s.inventory) },
      { under: "api", path: "", routes: jobsApi({ ...s, migrations }) },
      { under: "page", path: "/ui", routes: jobsUi({ ...s, ...migrationsOf(host.name) }) },
      { under: "page", path: "/ui", routes: cleanupUi({ ...s, audit: security?.audit }) },
      {
        under: "page",
        path: "",
        routes: pageRoutes({
          inventory: s.inventory,
          uri: host.uri,
          storageRoots: s.storageRoots ?? [],
          monitor: s.monitor,
          history: s.history,
          migrationHistory: (uuid, limit) =>
            migrations.finished(host.name, { domain: uuid, limit }),
          moves: s.moves,
          hostNav: hostNav(host.name),
          migrationSlot: migrationSlot(host.name),
          volumePools: () => volumePoolsFor(s.runner),
          moveSection: (c, domain) => moveSectionFor(hostMoves, c, domain),
          moveQueue: (c) => moveQueuePanelFor(hostMoves, c),
        }),
      },
    ];
  });
  app.route("/api/v1", domainsApi(deps.inventory));
  app.route("/api/v1", jobsApi({ ...deps, migrations }));
  app.route("/api/v1", openApiRoutes(apiDocumentText));
  const moves = hostMoveDeps(deps, security?.audit);
  // Before `/moves/:id` of movesApi, so `/moves/queue` is not read as an id.
  app.route("/api/v1", movesQueueApi(moves));
  app.route("/api/v1", movesCleanupApi(moves));
  app.route("/api/v1", movesApi({ moves: deps.moves, inventory: deps.inventory }));
  app.route("/ui", migrationsUi({ hosts, migrations }));
  app.route("/ui", jobsUi({ ...deps, ...migrationsOf(hosts.default.name) }));
  app.route("/ui", cleanupUi({ ...deps, audit: security?.audit }));
  app.route("/ui", movesUi(moves));
  app.route(
    "/",
    pageRoutes({
      inventory: deps.inventory,
      uri,
      storageRoots: deps.storageRoots ?? [],
      monitor: deps.monitor,
      history: deps.history,
      migrationHistory: (uuid, limit) =>
        migrations.finished(hosts.default.name, { domain: uuid, limit }),
      moves: deps.moves,
      hostNav: hostNav(hosts.default.name),
      migrationSlot: migrationSlot(hosts.default.name),
      volumePools: () => volumePoolsFor(deps.runner),
      moveSection: (c, domain) => moveSectionFor(moves, c, domain),
      moveQueue: (c) => moveQueuePanelFor(moves, c),
    }),
  );

  app.notFound(notFoundHandler({ uri }));
  app.onError(errorHandler({ uri }));
  return app;
}
