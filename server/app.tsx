/**
 * The Hono application: the security chain (headers → Host → Origin → auth → CSRF), role gates
 * per route group, the audit hooks, the routes, and errors as JSON (API) or a page (HTML).
 *
 * Without `security` (unit tests that build `createApp(createServices(runner))`) it runs in open
 * loopback mode: the caller is the local admin and no guard runs. `main.ts` always passes
 * `security`.
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { contextStorage, tryGetContext } from "hono/context-storage";
import type { SecurityServices, Services } from "./services.ts";
import { errorBody, failureOf, noteFailure, toHttpError } from "./http_errors.ts";
import { apiError, wantsJson } from "./security/respond.ts";
import { healthRoutes } from "./routes/health.ts";
import { domainsApi } from "./routes/domains_api.ts";
import { pageRoutes } from "./routes/pages.tsx";
import { staticRoutes } from "./routes/static.ts";
import { authRoutes, loginAudited } from "./routes/auth.tsx";
import { errorTitle, htmlErrorPages } from "./routes/error_pages.tsx";
import { type AuditCaller, auditRoutes, recordVirshCall } from "./routes/audit.tsx";
import { ErrorPage } from "../views/pages.tsx";
import { layoutSessionOf } from "./routes/viewer.ts";
import { jobsApi } from "./routes/jobs_api.ts";
import { jobsUi } from "./routes/jobs_ui.tsx";
import { copyDestinationProblem } from "./security/destinations.ts";
import { terminalApi, type TerminalDeps, terminalUi } from "./terminal/http/mod.ts";
import { type AuthVariables, requireRole } from "./auth/middleware.ts";
import { OPEN_MODE_USER } from "./auth/users.ts";
import { securityMiddleware } from "./security/stack.ts";
import { clientAddress as peerAddress } from "./security/client.ts";
import {
  type DomainNameLookup,
  domainNamesFromJobs,
  domainOfArgv,
  domainOfPath,
} from "./audit/domain.ts";
import { bodyLimits } from "./http/body_limit.ts";

/** Everything the app needs, injected so tests can substitute parts. */
export interface AppDeps extends Services {
  /** Login, sessions, tokens, audit; absent means open loopback mode without guards. */
  security?: SecurityServices;
}

/** Context variables of the app. */
export interface AppEnv {
  Variables: AuthVariables & {
    /** Set once a virsh call of this request went into the audit log. */
    auditedVirsh: boolean;
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Paths anyone may reach: the login form and the assets it needs, and the health probe. */
const PUBLIC_PATHS = /^\/(?:login|logout|healthz|static\/.*)$/;
/** The terminal checks each line against the caller's role itself (viewers may run read-only lines). */
const TERMINAL_PATHS = /^\/(?:api\/v1\/terminal|ui\/terminal\/.*)$/;

/** The request being served, if any (virsh calls from the monitor have none). */
function currentContext(): Context<AppEnv> | undefined {
  return tryGetContext<AppEnv>();
}

/** Builds the application. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const security = deps.security;
  const uri = deps.runner.uri;
  const roots = deps.storageRoots;
  const nameOf = domainNamesFromJobs(deps.monitor);
  app.use(contextStorage());

  if (security) {
    app.use(auditRefusals(security, nameOf));
    // Inside the audit (it sees the status) and outside the guards (it sees their refusals).
    app.use(htmlErrorPages({ uri }));
    const [headers, ...guards] = securityMiddleware({
      allowedHosts: security.allowedHosts,
      sessions: security.sessions,
      tokens: security.tokens,
      openMode: security.openMode,
      secureCookie: security.secureCookie,
      clientAddress: security.clientAddress,
    }) as unknown as MiddlewareHandler<AppEnv>[];
    // Body caps right inside the security headers (so a 413 carries them), before the CSRF
    // check or any route parses a body.
    app.use(headers, bodyLimits(), ...guards);
    deps.runner.onCall((record) => {
      // Terminal lines are audited by the terminal itself, with the line as typed.
      if (record.origin === "terminal") return;
      const c = currentContext();
      const caller = c ? callerOf(c, nameOf) : null;
      if (recordVirshCall(security.audit, record, caller) && c) c.set("auditedVirsh", true);
    });
  } else {
    app.use(bodyLimits(), openLoopback());
  }
  // Role gates: reading needs viewer; changing anything needs operator; the audit log operator.
  app.use(async (c, next) => {
    const path = c.req.path;
    if (PUBLIC_PATHS.test(path)) return await next();
    const needed = path === "/audit" || path.startsWith("/audit.")
      ? "operator"
      : SAFE_METHODS.has(c.req.method) || TERMINAL_PATHS.test(path)
      ? "viewer"
      : "operator";
    return await requireRole(needed)(c as never, next);
  });

  app.route("/", healthRoutes(uri, deps.monitor.libvirt));
  app.route("/static", staticRoutes());
  if (security) {
    app.route("/", authRoutes({ security, uri }));
    app.route("/", auditRoutes({ audit: security.audit, uri }));
  }
  app.route("/api/v1", domainsApi(deps.inventory));
  app.route("/api/v1", jobsApi(deps));
  app.route(
    "/ui",
    jobsUi({
      ...deps,
      auditAction: security
        ? (c, e) => {
          const caller = callerOf(c as Context<AppEnv>);
          security.audit.record({
            ...caller,
            action: `${caller.action} (${e.action})`,
            result: e.result,
            message: e.message.slice(0, 2000),
          });
          (c as Context<AppEnv>).set("auditedVirsh", true);
        }
        : undefined,
    }),
  );
  const terminal: TerminalDeps = {
    runner: deps.runner,
    roleOf: (c) => (c as Context<AppEnv>).var.user?.role ?? null,
    userOf: (c) => (c as Context<AppEnv>).var.user?.name ?? "anonymous",
    subscribeEvents: (listener) => deps.monitor.onEventLine(listener),
    copyPolicy: (dest, { reuseExternal }) => copyDestinationProblem(dest, { reuseExternal, roots }),
    allowedOrigins: security ? () => [...security.allowedHosts] : undefined,
    audit: (e) => {
      // A line that starts a job: every page learns of it at once, labelled with its author.
      if (e.action === "terminal" && e.argv && e.result === "ok") {
        deps.monitor.noteTerminalLine(e.argv, e.user);
      }
      if (!security) return;
      {
        const c = currentContext();
        security.audit.record({
          user: e.user,
          role: e.role ?? "none",
          client: c ? callerOf(c).client : "unknown",
          action: e.action,
          argv: e.argv,
          result: e.result,
          message: `${e.message} | line: ${e.line}`.slice(0, 2000),
          domain: domainOfArgv(e.argv),
        });
      }
    },
  };
  app.route("/api/v1", terminalApi(terminal));
  app.route("/ui/terminal", terminalUi(terminal));
  app.route(
    "/",
    pageRoutes({
      inventory: deps.inventory,
      uri,
      storageRoots: roots ?? [],
      monitor: deps.monitor,
      history: deps.history,
    }),
  );

  app.notFound((c) => {
    const message = `No route ${c.req.method} ${c.req.path}`;
    if (wantsJson(c)) return apiError(c, 404, "not_found", message);
    noteFailure(c, message);
    return c.html(
      <ErrorPage
        uri={uri}
        session={layoutSessionOf(c)}
        status={404}
        title="Not found"
        message={`Nothing at ${c.req.path}`}
      />,
      404,
    );
  });
  app.onError((e, c) => {
    const err = toHttpError(e);
    noteFailure(c, err.message);
    if (wantsJson(c)) return c.json(errorBody(err), err.status);
    return c.html(
      <ErrorPage
        uri={uri}
        session={layoutSessionOf(c)}
        status={err.status}
        title={errorTitle(err.status)}
        message={err.message}
      />,
      err.status,
    );
  });
  return app;
}

/** Open loopback mode without the guard chain: the caller is the local admin. */
function openLoopback(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("user", { name: OPEN_MODE_USER, role: "admin", via: "open" });
    c.set("session", null);
    c.set("csrfToken", null);
    c.set("openMode", true);
    c.set("clientAddress", peerAddress(c));
    await next();
  };
}

function callerOf(c: Context<AppEnv>, nameOf?: DomainNameLookup): AuditCaller {
  const user = c.var.user;
  return {
    user: user?.name ?? "anonymous",
    role: user?.role ?? "none",
    client: c.var.clientAddress ?? peerAddress(c),
    action: `${c.req.method} ${c.req.path}`.slice(0, 200),
    // The raw path: c.req.path is already partly decoded, the name must be decoded exactly once.
    domain: domainOfPath(new URL(c.req.url).pathname, nameOf),
  };
}

/**
 * Audits every unsafe request that did not succeed (refused 4xx, failed 5xx) unless a virsh call
 * of it was already recorded or the login route recorded the attempt itself. Buffered and folded
 * (equal refusals from one client become one row with a count): a flood costs no write per request.
 */
function auditRefusals(
  security: SecurityServices,
  nameOf: DomainNameLookup,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("auditedVirsh", false);
    await next();
    if (SAFE_METHODS.has(c.req.method)) return;
    // The login route audits the attempts it sees (with the name typed); a login post refused
    // before it ran (Origin, Host) is recorded here like any other refusal.
    if (loginAudited(c)) return;
    const status = c.res.status;
    if (status < 400 || c.var.auditedVirsh) return;
    // The terminal audits each line it refuses; only the sign-in gate's 401 is left to record.
    if (TERMINAL_PATHS.test(c.req.path) && status !== 401) return;
    const caller = callerOf(c, nameOf);
    const message = failureOf(c) ?? "";
    security.audit.recordRefusal({
      ...caller,
      result: status >= 500 ? "failed" : "refused",
      message: `${status} ${message}`.trim().slice(0, 2000),
    });
  };
}
