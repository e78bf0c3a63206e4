/**
 * Browser endpoints of a domain's migration panel, under `/ui/hosts/:host/domains/:name`: the
 * panel itself (polled once a second while a migration runs), the Migrate form's post and Abort.
 * Each answers with the panel's next state; a refusal comes back as the same panel with the
 * sentence in it (htmx 4 swaps 4xx answers too).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { invalidInput, noteFailure, toHttpError } from "../http_errors.ts";
import { hostNameSchema, type HostRegistry } from "../hosts/model.ts";
import type { MigrationService } from "../migrations/service.ts";
import { parseDomainParam } from "./domains_api.ts";
import { bandwidthMiBField } from "./job_inputs.ts";
import { parseHostParam } from "./migrations_api.ts";
import { canControlOf } from "./viewer.ts";
import { MigrationPanel } from "../../views/migration.tsx";

/** What the migration panel routes need. */
export interface MigrationUiDeps {
  hosts: Pick<HostRegistry, "get" | "list">;
  migrations: MigrationService;
}

/** The Migrate form's fields. */
export const migrateForm = z.strictObject({
  to: hostNameSchema,
  storage: z.enum(["all", "inc"], {
    error: 'must be "all" (full copy) or "inc" (top layer only)',
  }),
  bandwidthMiB: bandwidthMiBField.optional(),
}).transform((f) => ({ to: f.to, storage: f.storage, bandwidthBytes: f.bandwidthMiB }));

/** Routes to mount at `/ui`. */
export function migrationsUi(deps: MigrationUiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const base = "/hosts/:host/domains/:name";

  const panel = async (
    c: Context<AppEnv>,
    notice: string | null = null,
    status: 200 | 400 | 404 | 409 | 502 | 503 = 200,
  ) => {
    const host = parseHostParam(deps.hosts, c.req.param("host")!);
    const name = parseDomainParam(c.req.param("name")!);
    const migration = deps.migrations.get(host, name);
    const here = await deps.hosts.get(host)!.services.inventory.getDomain(name)
      .catch(() => null);
    const domain = here
      ? { name: here.name, uuid: here.uuid, state: here.state }
      : migration
      ? { name: migration.domain, uuid: migration.uuid, state: "gone" }
      : null;
    if (!domain) {
      return c.html(
        <p class="error-message">No domain named {name} on host {host}.</p>,
        404,
      );
    }
    const targets = deps.hosts.list().filter((h) => h.name !== host).map((h) => ({
      name: h.name,
      reachable: h.reachable,
      reason: h.lastError,
    }));
    return c.html(
      <MigrationPanel
        host={host}
        domain={domain}
        migration={migration}
        targets={targets}
        canControl={canControlOf(c)}
        notice={notice}
      />,
      status,
    );
  };

  /** Runs an action; a refusal is shown in the panel with its sentence. */
  const act = async (c: Context<AppEnv>, action: () => Promise<unknown>) => {
    try {
      await action();
      return await panel(c);
    } catch (e) {
      const error = toHttpError(e);
      noteFailure(c, error.message);
      const status = [400, 404, 409, 502, 503].includes(error.status)
        ? error.status as 400 | 404 | 409 | 502 | 503
        : 409;
      return await panel(c, error.message, status);
    }
  };

  app.get(`${base}/migration`, (c) => panel(c));
  app.post(`${base}/migrate`, (c) =>
    act(c, async () => {
      const host = parseHostParam(deps.hosts, c.req.param("host")!);
      const name = parseDomainParam(c.req.param("name")!);
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(await c.req.parseBody())) {
        if (typeof v === "string" && k !== "_csrf") fields[k] = v;
      }
      const r = migrateForm.safeParse(fields);
      if (!r.success) throw invalidInput(r.error, "form");
      await deps.migrations.start(host, name, r.data);
    }));
  app.post(`${base}/migration/abort`, (c) =>
    act(c, async () => {
      const host = parseHostParam(deps.hosts, c.req.param("host")!);
      await deps.migrations.abort(host, parseDomainParam(c.req.param("name")!));
    }));
  return app;
}
