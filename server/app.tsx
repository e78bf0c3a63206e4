/**
 * The Hono application: composes routes and turns errors into JSON (API) or a page (HTML).
 *
 * @module
 */
import { Hono } from "hono";
import type { Services } from "./services.ts";
import { errorBody, toHttpError } from "./http_errors.ts";
import { healthRoutes } from "./routes/health.ts";
import { domainsApi } from "./routes/domains_api.ts";
import { pageRoutes } from "./routes/pages.tsx";
import { staticRoutes } from "./routes/static.ts";
import { ErrorPage } from "../views/pages.tsx";
import { diskExtras } from "../views/disk_extras.tsx";
import { jobsApi } from "./routes/jobs_api.ts";
import { jobsUi } from "./routes/jobs_ui.tsx";

/** Everything the app needs, injected so tests can substitute parts. */
export interface AppDeps extends Services {
  /** Directories copy destinations may be in (shown in the copy form). */
  storageRoots?: () => readonly string[];
}

/** Builds the application. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.route("/", healthRoutes(deps.runner));
  app.route("/static", staticRoutes());
  app.route("/api/v1", domainsApi(deps.inventory));
  app.route("/api/v1", jobsApi(deps));
  app.route("/ui", jobsUi(deps));
  app.route(
    "/",
    pageRoutes({
      inventory: deps.inventory,
      uri: deps.runner.uri,
      extras: diskExtras({ canControl: true, storageRoots: deps.storageRoots?.() }),
    }),
  );

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) {
      return c.json({
        error: { code: "not_found", message: `No route ${c.req.method} ${c.req.path}` },
      }, 404);
    }
    return c.html(
      <ErrorPage
        uri={deps.runner.uri}
        status={404}
        title="Not found"
        message={`Nothing at ${c.req.path}`}
      />,
      404,
    );
  });
  app.onError((e, c) => {
    const err = toHttpError(e);
    if (c.req.path.startsWith("/api/") || c.req.header("accept")?.includes("application/json")) {
      return c.json(errorBody(err), err.status);
    }
    return c.html(
      <ErrorPage
        uri={deps.runner.uri}
        status={err.status}
        title={titleFor(err.status)}
        message={err.message}
      />,
      err.status,
    );
  });
  return app;
}

function titleFor(status: number): string {
  switch (status) {
    case 400:
      return "Bad request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 409:
      return "Conflict";
    case 503:
      return "libvirt unavailable";
    default:
      return "Error";
  }
}
