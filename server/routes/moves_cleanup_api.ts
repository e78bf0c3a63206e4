/**
 * JSON API v1 for cleaning up after a done move: `GET /moves/:id/cleanup` lists the old files
 * and what a clean-up would do with each (the confirmation step), `POST /moves/:id/cleanup`
 * (`{"files"?: [...]}`, default every old file) deletes them, all or nothing: a file still used
 * by a domain refuses the request with 409 naming it. Every deletion and refusal is audited.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { noteFailure, toHttpError } from "../http_errors.ts";
import type { MoveService } from "../moves/model.ts";
import { ALREADY_GONE, cleanUpMove, reviewMoveCleanup } from "../moves/cleanup.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { type AuditSink, recordRouteAction } from "../audit/web.ts";
import { hostPathSchema } from "../virsh/values.ts";
import { jsonBody } from "./jobs_api.ts";
import { moveOf } from "./move_param.ts";
import { moveIdSchema } from "./moves_api.ts";
import { type ApiRoute, apiRoute } from "../openapi/route.ts";
import { virshErrors } from "../openapi/document.ts";
import { cleanupResultResponse, cleanupReviewResponse } from "../moves/web_schemas.ts";
import type { Move } from "../moves/model.ts";
import type { Context } from "hono";
import type { MoveCleanupOutcome } from "../moves/cleanup.ts";

/** What the clean-up routes need (API and page alike). */
export interface MoveCleanupDeps {
  moves: MoveService;
  /** Reads every domain's XML before anything is deleted. */
  runner: VirshRunner;
  storageRoots: readonly string[] | null;
  /** Where deletions are audited; absent in open mode without security. */
  audit?: AuditSink;
}

/** `POST /moves/:id/cleanup` body. */
export const moveCleanupBody = z.strictObject({
  files: z.array(hostPathSchema, { error: "must be a list of absolute paths" })
    .min(1, "must name at least one file (or leave it out for every old file)")
    .max(1024, "names too many files")
    .optional(),
}, {
  error: (issue) =>
    issue.code === "unrecognized_keys"
      ? 'unknown field: this request takes "files"'
      : issue.code === "invalid_type"
      ? "must be a JSON object"
      : undefined,
});

/**
 * Runs a clean-up for a request and audits it: one entry per file deleted (or that failed to
 * be), or one refusal with the sentence. Shared by the API and the page.
 */
export async function auditedMoveCleanup(
  c: Context<AppEnv>,
  deps: MoveCleanupDeps,
  move: Move,
  files: readonly string[] | undefined,
): Promise<MoveCleanupOutcome> {
  const about = `move ${move.id} of domain ${move.domain}`;
  let outcome: MoveCleanupOutcome;
  try {
    outcome = await cleanUpMove(move, files, { runner: deps.runner, roots: deps.storageRoots });
  } catch (e) {
    const err = toHttpError(e);
    noteFailure(c, err.message);
    if (deps.audit) {
      recordRouteAction(deps.audit, c, {
        action: "move.cleanup",
        result: err.status >= 500 ? "failed" : "refused",
        message: `${about}: ${err.message}`,
      });
    }
    throw err;
  }
  const gone = (r: { deleted: boolean; reason: string | null }) =>
    !r.deleted && r.reason === ALREADY_GONE;
  // A file already gone changed nothing: no entry.
  for (const r of outcome.results.filter((r) => !gone(r))) {
    if (!deps.audit) break;
    recordRouteAction(deps.audit, c, {
      action: "move.cleanup",
      result: r.deleted ? "ok" : "failed",
      message: r.deleted ? `${about}: deleted ${r.path}` : `${about}: kept ${r.path}: ${r.reason}`,
    });
  }
  return outcome;
}

/** Routes under `/api/v1`. */
export function movesCleanupApi(deps: MoveCleanupDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/moves/:id/cleanup", async (c) => {
    const move = moveOf(c, deps.moves);
    const files = await reviewMoveCleanup(move, { runner: deps.runner, roots: deps.storageRoots });
    return c.json({ move, cleanup: { files } });
  });
  app.post("/moves/:id/cleanup", async (c) => {
    const move = moveOf(c, deps.moves);
    const body = await jsonBody(c, moveCleanupBody, true);
    const outcome = await auditedMoveCleanup(c, deps, move, body.files);
    return c.json({ move, cleanup: { results: outcome.results } });
  });
  return app;
}

/** The OpenAPI descriptions of {@link movesCleanupApi}. */
export const movesCleanupApiRoutes: ApiRoute[] = [
  apiRoute({
    method: "get",
    path: "/api/v1/moves/:id/cleanup",
    operationId: "reviewMoveCleanup",
    summary: "The old files of a done move and what a clean-up would do with each",
    description: "The confirmation step: `delete`, `kept` (with the reason: outside the storage " +
      "roots, not a regular file, still used by a domain's live or persistent definition) or " +
      "`gone`. Reads every domain's XML; deletes nothing.",
    tag: "moves",
    access: "operator",
    params: { id: moveIdSchema },
    responses: { 200: { description: "Each old file.", schema: cleanupReviewResponse } },
    errors: {
      404: "No move has this id (`not_found`).",
      409: "The move is not done (`conflict`).",
    },
  }),
  apiRoute({
    method: "post",
    path: "/api/v1/moves/:id/cleanup",
    operationId: "cleanUpMove",
    summary: "Delete the old files of a done move, all or nothing",
    description: "`files` names the confirmed files (default: every old file still on disk). " +
      "Every file is checked again; if any may not be deleted nothing is. Audited.",
    tag: "moves",
    access: "operator",
    params: { id: moveIdSchema },
    body: { schema: moveCleanupBody, required: false },
    responses: {
      200: { description: "What happened to each file.", schema: cleanupResultResponse },
    },
    errors: {
      404: "No move has this id (`not_found`).",
      409: "The move is not done, or a file is still used by a domain: the sentence names both; " +
        "nothing was deleted (`conflict`).",
      ...virshErrors(),
    },
  }),
];
