/**
 * JSON API v1 for storage moves: start (`POST /domains/:name/move` → 202), list, read, switch
 * and cancel. Thin: validate, resolve the domain, call the {@link MoveService}. Mounted behind
 * the dashboard gate (viewers read, operators change).
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import type { Inventory } from "../inventory/service.ts";
import { type Move, moveRequestSchema, type MoveService } from "../moves/model.ts";
import { parseDomainParam } from "./domains_api.ts";
import { jsonBody } from "./jobs_api.ts";

/** What the move routes need. */
export interface MoveRouteDeps {
  moves: MoveService;
  /** Resolves names to UUIDs (404 for an unknown domain before anything runs). */
  inventory: Pick<Inventory, "resolve" | "invalidate">;
}

const moveIdSchema = z.uuid({ error: "a move id is a UUID" });
const emptyBody = z.strictObject({}, { error: "this request takes no fields" });

/** Routes under `/api/v1`: `/domains/:name/move`, `/moves`, `/moves/:id[/pivot|/cancel]`. */
export function movesApi(deps: MoveRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const moveId = (raw: string | undefined) => {
    const r = moveIdSchema.safeParse(raw);
    if (!r.success) throw invalidInput(r.error, "move id");
    return r.data;
  };
  const known = (id: string): Move => {
    const move = deps.moves.get(id);
    if (!move) throw new HttpError(404, "not_found", `No move ${id}`);
    return move;
  };

  app.post("/domains/:name/move", async (c) => {
    const name = parseDomainParam(c.req.param("name"));
    const request = await jsonBody(c, moveRequestSchema);
    const listed = await deps.inventory.resolve(name);
    if (!listed) throw new HttpError(404, "not_found", `No domain named ${JSON.stringify(name)}`);
    const move = await deps.moves.start(listed.uuid, request);
    deps.inventory.invalidate(listed.uuid);
    return c.json({ move }, 202);
  });
  app.get("/moves", (c) => c.json({ moves: deps.moves.list() }));
  app.get("/moves/:id", (c) => c.json({ move: known(moveId(c.req.param("id"))) }));
  app.post("/moves/:id/pivot", async (c) => {
    const id = moveId(c.req.param("id"));
    known(id);
    await jsonBody(c, emptyBody, true);
    const move = await deps.moves.pivot(id);
    deps.inventory.invalidate(move.uuid);
    return c.json({ move });
  });
  app.post("/moves/:id/cancel", async (c) => {
    const id = moveId(c.req.param("id"));
    known(id);
    await jsonBody(c, emptyBody, true);
    const move = await deps.moves.cancel(id);
    deps.inventory.invalidate(move.uuid);
    return c.json({ move });
  });
  return app;
}
