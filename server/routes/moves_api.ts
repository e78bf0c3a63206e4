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
import { type ApiRoute, apiRoute } from "../openapi/route.ts";
import { virshErrors } from "../openapi/document.ts";
import { domainNameSchema } from "../virsh/values.ts";
import { moveListResponse, moveResponse } from "../moves/schemas.ts";

/** What the move routes need. */
export interface MoveRouteDeps {
  moves: MoveService;
  /** Resolves names to UUIDs (404 for an unknown domain before anything runs). */
  inventory: Pick<Inventory, "resolve" | "invalidate">;
}

/** A move's id (`:id`). */
export const moveIdSchema = z.uuid({ error: "a move id is a UUID" });
/** The body of pivot and cancel (optional, takes nothing). */
export const emptyMoveBody = z.strictObject({}, { error: "this request takes no fields" });

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
    await jsonBody(c, emptyMoveBody, true);
    const move = await deps.moves.pivot(id);
    deps.inventory.invalidate(move.uuid);
    return c.json({ move });
  });
  app.post("/moves/:id/cancel", async (c) => {
    const id = moveId(c.req.param("id"));
    known(id);
    await jsonBody(c, emptyMoveBody, true);
    const move = await deps.moves.cancel(id);
    deps.inventory.invalidate(move.uuid);
    return c.json({ move });
  });
  return app;
}

const unknownMove = "No move has this id (`not_found`).";

/** A pivot or cancel route. */
function moveControl(
  route: Pick<ApiRoute, "path" | "operationId" | "summary" | "description">,
  conflict: string,
): ApiRoute {
  return apiRoute({
    method: "post",
    ...route,
    tag: "moves",
    access: "operator",
    params: { id: moveIdSchema },
    body: { schema: emptyMoveBody, required: false },
    responses: { 200: { description: "The move afterwards.", schema: moveResponse } },
    errors: { 404: unknownMove, 409: conflict, ...virshErrors() },
  });
}

/** The OpenAPI descriptions of {@link movesApi}. */
export const movesApiRoutes: ApiRoute[] = [
  apiRoute({
    method: "post",
    path: "/api/v1/domains/:name/move",
    operationId: "startMove",
    summary: "Move the domain's whole backing chain to another directory, every layer kept",
    description: "Live for a running domain (layer copies, then a mirror of the active layer and " +
      "a switch), offline for a shut-off persistent one (copies, then the definition). Answers " +
      "at once with the move in state `planned`; poll it. On a host whose files this machine " +
      "cannot see (a libvirt URI with a host part) it answers 400 with the sentence: moves run " +
      "qemu-img here; use a volume copy or a migration there.",
    tag: "moves",
    access: "operator",
    params: { name: domainNameSchema },
    body: { schema: moveRequestSchema, required: true },
    responses: { 202: { description: "The move started.", schema: moveResponse } },
    errors: {
      404: "No domain has this name (`not_found`).",
      409: "A disk has a block job, a move of the domain runs, or the domain is in a state " +
        "no move can start from (`conflict`).",
      ...virshErrors(),
    },
  }),
  apiRoute({
    method: "get",
    path: "/api/v1/moves",
    operationId: "listMoves",
    summary: "Every move, running first, then finished ones newest first",
    tag: "moves",
    access: "viewer",
    responses: { 200: { description: "The moves.", schema: moveListResponse } },
  }),
  apiRoute({
    method: "get",
    path: "/api/v1/moves/:id",
    operationId: "getMove",
    summary: "One move with its layers' progress",
    tag: "moves",
    access: "viewer",
    params: { id: moveIdSchema },
    responses: { 200: { description: "The move.", schema: moveResponse } },
    errors: { 404: unknownMove },
  }),
  moveControl({
    path: "/api/v1/moves/:id/pivot",
    operationId: "pivotMove",
    summary: "Switch a ready move now: every disk pivots, then its chain is verified",
  }, "The move is not ready (`conflict`)."),
  moveControl({
    path: "/api/v1/moves/:id/cancel",
    operationId: "cancelMove",
    summary: "Cancel: the domain stays on its old chain; the files the move made are removed",
  }, "The move has ended or is switching (`conflict`)."),
];
