/**
 * The `:id` of a move route: validated (a UUID), then looked up; 400 for a malformed id, 404
 * for an unknown one, before anything else runs.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import type { Move, MoveService } from "../moves/model.ts";
import { moveIdSchema } from "./moves_api.ts";

/** The move named by the route's `:id`. */
export function moveOf(c: Context<AppEnv>, moves: Pick<MoveService, "get">): Move {
  const r = moveIdSchema.safeParse(c.req.param("id"));
  if (!r.success) throw invalidInput(r.error, "move id");
  const move = moves.get(r.data);
  if (!move) throw new HttpError(404, "not_found", `No move with id ${r.data}`);
  return move;
}
