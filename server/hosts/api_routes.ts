/**
 * The OpenAPI descriptions of the hosts' routes: `GET /api/v1/hosts`, and every host-scoped route
 * under `/api/v1/hosts/{host}` (the domain, job, terminal and move routes, each described once with a
 * `host` parameter; the app serves them once per configured host).
 *
 * @module
 */
import { z } from "zod";
import { type ApiRoute, apiRoute } from "../openapi/route.ts";
import { domainsApiRoutes } from "../routes/domains_api.ts";
import { jobsApiRoutes } from "../routes/jobs_api.ts";
import { terminalApiRoutes } from "../routes/terminal_api.ts";
import { movesApiRoutes } from "../routes/moves_api.ts";
import { movesQueueApiRoutes } from "../routes/moves_queue_api.ts";
import { movesCleanupApiRoutes } from "../routes/moves_cleanup_api.ts";
import { hostNameSchema } from "./model.ts";

/** One host in `GET /api/v1/hosts`. */
export const hostSummarySchema = z.object({
  name: z.string(),
  uri: z.string(),
  default: z.boolean(),
  reachable: z.boolean(),
  domains: z.number().int().nullable(),
  jobs: z.number().int().nullable(),
  lastError: z.string().nullable(),
  since: z.string().nullable(),
  nextRetryAt: z.string().nullable(),
});

/** `GET /api/v1/hosts`. */
export const hostsResponse = z.object({ hosts: z.array(hostSummarySchema) });

/** The path of a default-host route on host `{host}`. Pure. */
export function hostScopedPath(path: string): string {
  return path.replace(/^\/api\/v1/, "/api/v1/hosts/:host");
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A default-host route described once for every host. */
function onHost(route: ApiRoute): ApiRoute {
  return {
    ...route,
    path: hostScopedPath(route.path),
    operationId: `host${capitalized(route.operationId)}`,
    summary: `${route.summary}, on one host`,
    params: { host: hostNameSchema, ...route.params },
    errors: {
      ...route.errors,
      404: `No host of this name (\`unknown_host\`)${
        route.errors?.[404] ? `, or: ${route.errors[404]}` : "."
      }`,
      503: "The host's libvirt is not answering (`host_unreachable`): what failed, since when " +
        "and the next retry.",
    },
  };
}

/** The hosts' route descriptions, for `server/openapi/registry.ts`. */
export const hostsApiRoutes: ApiRoute[] = [
  apiRoute({
    method: "get",
    path: "/api/v1/hosts",
    operationId: "listHosts",
    summary: "Every libvirt host: URI, reachability, domain and running-job counts",
    description: "Each host is read under its own deadline: a slow or dead host answers " +
      "`reachable: false` with what failed, since when and the next retry, and never delays " +
      "the others. A host that answers but whose read failed has `domains: null` and says why " +
      "in `lastError`.",
    tag: "hosts",
    access: "viewer",
    responses: { 200: { description: "The hosts, the default one first.", schema: hostsResponse } },
  }),
  ...[
    ...domainsApiRoutes,
    ...jobsApiRoutes,
    ...terminalApiRoutes,
    ...movesQueueApiRoutes,
    ...movesCleanupApiRoutes,
    ...movesApiRoutes,
  ].map(onHost),
];
