/**
 * JSON API v1 for live migrations with storage, under `/api/v1/hosts/:host/domains/:name`:
 * `POST …/migrate`, `GET …/migration`, `POST …/migration/abort`. Thin: validate, call the
 * migration module.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import { hostNameSchema, type HostRegistry } from "../hosts/model.ts";
import type { MigrationService } from "../migrations/service.ts";
import { migrateBody, migrationResponse } from "../migrations/model.ts";
import { domainNameSchema } from "../virsh/values.ts";
import { type ApiRoute, apiRoute } from "../openapi/route.ts";
import { virshErrors } from "../openapi/document.ts";
import { parseDomainParam } from "./domains_api.ts";
import { jsonBody } from "./jobs_api.ts";

/** `POST …/migration/abort` body (optional, takes nothing). */
const migrateAbortBody = z.strictObject({});

/** What the migration routes need. */
export interface MigrationRouteDeps {
  hosts: Pick<HostRegistry, "get">;
  migrations: MigrationService;
}

/** Validates `:host` and checks the host exists (404 otherwise). */
export function parseHostParam(hosts: Pick<HostRegistry, "get">, raw: string): string {
  const r = hostNameSchema.safeParse(raw);
  if (!r.success) throw invalidInput(r.error, "host name");
  if (!hosts.get(r.data)) {
    throw new HttpError(404, "not_found", `No host named ${JSON.stringify(r.data)}`);
  }
  return r.data;
}

/** Routes to mount at `/api/v1`. */
export function migrationsApi(deps: MigrationRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const params = (c: Context<AppEnv>) => ({
    host: parseHostParam(deps.hosts, c.req.param("host")!),
    name: parseDomainParam(c.req.param("name")!),
  });
  const base = "/hosts/:host/domains/:name";

  app.post(`${base}/migrate`, async (c) => {
    const { host, name } = params(c);
    const body = await jsonBody(c, migrateBody);
    const to = hostNameSchema.safeParse(body.to);
    if (!to.success) throw invalidInput(to.error, "to");
    return c.json({ migration: await deps.migrations.start(host, name, body) }, 202);
  });
  app.get(`${base}/migration`, (c) => {
    const { host, name } = params(c);
    return c.json({ migration: deps.migrations.get(host, name) });
  });
  app.post(`${base}/migration/abort`, async (c) => {
    const { host, name } = params(c);
    await jsonBody(c, migrateAbortBody, true);
    return c.json({ migration: await deps.migrations.abort(host, name) });
  });
  return app;
}

const params = { host: hostNameSchema, name: domainNameSchema };
const BASE = "/api/v1/hosts/:host/domains/:name";

/** The OpenAPI descriptions of {@link migrationsApi}. */
export const migrationsApiRoutes: ApiRoute[] = [
  apiRoute({
    method: "post",
    path: `${BASE}/migrate`,
    operationId: "startMigration",
    summary: "Live-migrate a running domain and its disks to another host",
    description: "Pre-flight first (target answering, a storage pool over every disk's " +
      "directory, room there, CPU and machine via domcapabilities), then `virsh migrate --live " +
      "--copy-storage-all|inc`; poll `GET …/migration` for progress.",
    tag: "migrations",
    access: "operator",
    params,
    body: { schema: migrateBody, required: true },
    responses: { 202: { description: "Started; poll its state.", schema: migrationResponse } },
    errors: {
      400: "The body is wrong or names no other host (`invalid_input`, `preflight_refused`).",
      404: "No such host or domain (`not_found`).",
      409: "The pre-flight refused, with what to do (`preflight_refused`), or a migration runs.",
      ...virshErrors(),
    },
  }),
  apiRoute({
    method: "get",
    path: `${BASE}/migration`,
    operationId: "getMigration",
    summary: "The domain's migration from this host (or that landed on it), or null",
    tag: "migrations",
    access: "viewer",
    params,
    responses: { 200: { description: "The migration, or null.", schema: migrationResponse } },
    errors: { 404: "No such host (`not_found`)." },
  }),
  apiRoute({
    method: "post",
    path: `${BASE}/migration/abort`,
    operationId: "abortMigration",
    summary: "Abort the running migration (domjobabort); the domain stays on the source",
    tag: "migrations",
    access: "operator",
    params,
    body: { schema: migrateAbortBody, required: false },
    responses: { 200: { description: "Ended, outcome verified.", schema: migrationResponse } },
    errors: { 404: "No such host (`not_found`).", 409: "No migration runs (`conflict`)." },
  }),
];
