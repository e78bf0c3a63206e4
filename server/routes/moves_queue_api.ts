/**
 * JSON API v1 for the host-wide move queue: `GET /moves/queue` (running and waiting moves, the
 * limits) and `POST /moves/:id/up|down` (reorder a waiting move). Thin: validate, call the queue.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http_errors.ts";
import type { MoveService } from "../moves/model.ts";
import type { MoveQueue, QueuePlace } from "../moves/queue.ts";
import { moveOf } from "./move_param.ts";
import { moveIdSchema } from "./moves_api.ts";
import { type ApiRoute, apiRoute } from "../openapi/route.ts";
import { queueMoveResponse, queueResponse } from "../moves/web_schemas.ts";

/** What the queue routes need. */
export interface MovesQueueApiDeps {
  moves: MoveService;
  queue: MoveQueue;
}

/** A move's place as the API shows it: `{"state":"waiting","position":2,"of":3}`. */
export function placeJson(place: QueuePlace) {
  return place.kind === "waiting"
    ? { state: "waiting", position: place.position, of: place.of }
    : { state: place.kind };
}

/** Routes under `/api/v1`. */
export function movesQueueApi(deps: MovesQueueApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/moves/queue", (c) => c.json({ queue: deps.queue.snapshot() }));
  for (const direction of ["up", "down"] as const) {
    app.post(`/moves/:id/${direction}`, (c) => {
      const move = moveOf(c, deps.moves);
      const moved = direction === "up" ? deps.queue.moveUp(move.id) : deps.queue.moveDown(move.id);
      if (!moved) {
        throw new HttpError(
          409,
          "conflict",
          `Move ${move.id} of domain ${move.domain} is ${move.state}, not waiting in the queue: ` +
            "only waiting moves can be reordered.",
        );
      }
      return c.json({
        move: deps.moves.get(move.id) ?? move,
        queue: placeJson(deps.queue.place(move.id)),
      });
    });
  }
  return app;
}

/** The OpenAPI descriptions of {@link movesQueueApi}. */
export const movesQueueApiRoutes: ApiRoute[] = [
  apiRoute({
    method: "get",
    path: "/api/v1/moves/queue",
    operationId: "getMoveQueue",
    summary: "The host-wide move queue: running and waiting moves, the limits",
    tag: "moves",
    access: "viewer",
    responses: { 200: { description: "The queue.", schema: queueResponse } },
  }),
  ...(["up", "down"] as const).map((direction) =>
    apiRoute({
      method: "post",
      path: `/api/v1/moves/:id/${direction}`,
      operationId: direction === "up" ? "moveUpInQueue" : "moveDownInQueue",
      summary: direction === "up"
        ? "Start a waiting move one place earlier"
        : "Start a waiting move one place later",
      tag: "moves",
      access: "operator",
      params: { id: moveIdSchema },
      responses: {
        200: { description: "The move and its place afterwards.", schema: queueMoveResponse },
      },
      errors: {
        404: "No move has this id (`not_found`).",
        409: "The move is not waiting in the queue (`conflict`).",
      },
    })
  ),
];
