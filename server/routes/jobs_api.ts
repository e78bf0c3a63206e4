/**
 * JSON API v1 for block jobs on a disk: read, start (pull, copy, commit) and control (pivot,
 * abort, bandwidth). Thin: validate, resolve the domain to its UUID, call the job module.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { Inventory } from "../inventory/service.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { DiskRef, JobOperations } from "../jobs/operations.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { diskTargetSchema } from "../virsh/values.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import { parseDomainParam } from "./domains_api.ts";
import { abortBody, bandwidthBody, commitBody, pivotBody, pullBody } from "./job_inputs.ts";
import { type JobHistory, jobHistoryQuerySchema } from "../jobs/history.ts";
import { type MigrationRecords } from "../migrations/job_history.ts";
import { DEFAULT_HOST_NAME } from "../hosts/model.ts";
import { listHistory } from "./../jobs/history_entries.ts";
import type { MoveService } from "../moves/model.ts";
import {
  copyRequestBody,
  copyRequestDocumentSchema,
  isLocalUri,
  VolumeCopies,
} from "../volumes/remote_copy.ts";
import type { Job } from "../jobs/model.ts";
import { domainNameSchema } from "../virsh/values.ts";
import { type ApiRoute, apiRoute } from "../openapi/route.ts";
import { virshErrors } from "../openapi/document.ts";
import {
  type JobHistoryResponse,
  jobHistoryResponse,
  type JobResponse,
  jobResponse,
} from "../openapi/schemas.ts";

/** What the job routes need. */
export interface JobRouteDeps {
  inventory: Inventory;
  monitor: JobMonitor;
  operations: JobOperations;
  /** For the short-lived list of a domain's disks (404 for an unknown target on reads). */
  runner: VirshRunner;
  /** Finished jobs in the database; null without one (then `GET /jobs` lists none). */
  history?: JobHistory | null;
  /** Finished migrations of host `hostName`: `GET /jobs` lists them too (`type: "migration"`). */
  migrations?: MigrationRecords | null;
  hostName?: string;
  /** Storage moves: the finished ones are listed by `GET /jobs` too (`type: "move"`). */
  moves?: Pick<MoveService, "list"> | null;
}

/** Validates `:target`. */
export function parseTargetParam(raw: string): string {
  const r = diskTargetSchema.safeParse(raw);
  if (!r.success) throw invalidInput(r.error, "disk target");
  return r.data;
}

/** Reads and validates a JSON body; an absent body reads as `{}` when `optional`. */
export async function jsonBody<T>(
  c: Context<AppEnv>,
  schema: z.ZodType<T>,
  optional = false,
): Promise<T> {
  const text = await c.req.text();
  let data: unknown = {};
  if (text.trim() !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "The request body is not valid JSON");
    }
  } else if (!optional) {
    throw new HttpError(400, "invalid_json", "A JSON body is required");
  }
  const r = schema.safeParse(data);
  if (!r.success) throw invalidInput(r.error, "body");
  return r.data;
}

/** Routes under `/api/v1/domains/:name/disks/:target`. */
export function jobsApi(deps: JobRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /**
   * Name + target → UUID + target; 400 before any virsh call, 404 when unknown. Reads may use a
   * name resolved in the last few seconds, so a script polling a job costs no virsh call;
   * operations always resolve afresh.
   */
  const diskRef = async (c: Context<AppEnv>, fresh = true): Promise<DiskRef & { name: string }> => {
    const name = parseDomainParam(c.req.param("name")!);
    const target = parseTargetParam(c.req.param("target")!);
    const listed = fresh
      ? await deps.inventory.resolve(name)
      : await deps.inventory.resolveCached(name, 10_000);
    if (!listed) throw new HttpError(404, "not_found", `No domain named ${JSON.stringify(name)}`);
    return { uuid: listed.uuid, target, name: listed.name };
  };
  const done = (c: Context<AppEnv>, job: Job, status: 200 | 202) => {
    // The disk's chain changes with the job: read this domain again, not the whole host.
    deps.inventory.invalidate(job.uuid);
    return c.json({ job } satisfies JobResponse, status);
  };

  // Finished jobs from the database: no virsh call.
  app.get("/jobs", (c) => {
    const r = jobHistoryQuerySchema.safeParse(c.req.query());
    if (!r.success) throw invalidInput(r.error, "query");
    const host = deps.hostName ?? DEFAULT_HOST_NAME;
    const jobs = listHistory({
      history: deps.history,
      moves: deps.moves,
      migrations: deps.migrations ? (q) => deps.migrations!.finished(host, q) : null,
    }, r.data);
    return c.json({ jobs } satisfies JobHistoryResponse);
  });

  const base = "/domains/:name/disks/:target";
  app.get(`${base}/job`, async (c) => {
    const ref = await diskRef(c, false);
    // A job in the monitor's memory proves the disk; otherwise the inventory snapshot does.
    const job = deps.monitor.getJob(ref.uuid, ref.target);
    const domain = job ? null : await deps.inventory.getDomain(ref.uuid);
    if (!job && !domain?.disks.some((d) => d.target === ref.target)) {
      throw new HttpError(404, "not_found", `domain ${ref.name} has no disk ${ref.target}`);
    }
    return c.json({ job } satisfies JobResponse);
  });
  app.post(`${base}/pull`, async (c) => {
    const body = await jsonBody(c, pullBody, true);
    return done(c, await deps.operations.startPull(await diskRef(c), body), 202);
  });
  const volumes = new VolumeCopies(deps.runner, deps.operations, deps.monitor);
  app.post(`${base}/copy`, async (c) => {
    const { dest, pool, volume, ...rest } = await jsonBody(c, copyRequestBody);
    if (pool !== undefined && volume !== undefined) {
      return done(c, await volumes.startCopy(await diskRef(c), { pool, volume, ...rest }), 202);
    }
    if (!isLocalUri(deps.runner.uri)) {
      throw new HttpError(
        400,
        "invalid_input",
        `dest: blockboard cannot check files on ${deps.runner.uri}; copy into a new volume of one of its storage pools instead ("pool" and "volume")`,
        "dest",
      );
    }
    return done(
      c,
      await deps.operations.startCopy(await diskRef(c), { dest: dest!, ...rest }),
      202,
    );
  });
  app.post(`${base}/commit`, async (c) => {
    const body = await jsonBody(c, commitBody, true);
    return done(c, await deps.operations.startCommit(await diskRef(c), body), 202);
  });
  app.post(`${base}/job/pivot`, async (c) => {
    await jsonBody(c, pivotBody, true);
    return done(c, await deps.operations.pivot(await diskRef(c)), 200);
  });
  app.post(`${base}/job/abort`, async (c) => {
    const body = await jsonBody(c, abortBody, true);
    return done(c, await deps.operations.abort(await diskRef(c), body.mode ?? "abort"), 200);
  });
  app.post(`${base}/job/bandwidth`, async (c) => {
    const body = await jsonBody(c, bandwidthBody);
    return done(c, await deps.operations.setBandwidth(await diskRef(c), body.bandwidthBytes), 200);
  });
  return app;
}

const diskParams = { name: domainNameSchema, target: diskTargetSchema };
const DISK = "/api/v1/domains/:name/disks/:target";
const unknownDisk = "No domain has this name, or it has no disk with this target (`not_found`).";
const busy = "The disk is busy or the job is not in a state for this (`conflict`); " +
  "the message says what to do.";

/** A job start or control route: the disk's parameters, a body, the job as the answer. */
function jobOperation(
  route: Pick<ApiRoute, "path" | "operationId" | "summary" | "description"> & {
    body: NonNullable<ApiRoute["body"]>;
    status: 200 | 202;
  },
): ApiRoute {
  return apiRoute({
    method: "post",
    path: route.path,
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    tag: "jobs",
    access: "operator",
    params: diskParams,
    body: route.body,
    responses: {
      [route.status]: {
        description: route.status === 202 ? "The job started; poll its state." : "Done.",
        schema: jobResponse,
      },
    },
    errors: { 404: unknownDisk, 409: busy, ...virshErrors() },
  });
}

/** The OpenAPI descriptions of {@link jobsApi}. */
export const jobsApiRoutes: ApiRoute[] = [
  apiRoute({
    method: "get",
    path: "/api/v1/jobs",
    operationId: "listJobHistory",
    summary: "Finished jobs and storage moves, newest first",
    description: "From the database; no virsh call. `domain` is a name or UUID. A finished " +
      'storage move is one entry of `type: "move"` (its outcome, message, bytes, who started ' +
      "it), read from the moves it ran, not a copy.",
    tag: "jobs",
    access: "viewer",
    query: jobHistoryQuerySchema,
    responses: { 200: { description: "The finished jobs.", schema: jobHistoryResponse } },
  }),
  apiRoute({
    method: "get",
    path: `${DISK}/job`,
    operationId: "getJob",
    summary: "The block job on a disk",
    description: "`job` is null when the disk has none. A job that just ended stays readable " +
      "with its outcome for a while.",
    tag: "jobs",
    access: "viewer",
    params: diskParams,
    responses: { 200: { description: "The disk's job, or null.", schema: jobResponse } },
    errors: { 404: unknownDisk, ...virshErrors() },
  }),
  jobOperation({
    path: `${DISK}/pull`,
    operationId: "startPull",
    summary: "Start a pull (blockpull): copy backing data into the active layer",
    body: { schema: pullBody, required: false },
    status: 202,
  }),
  jobOperation({
    path: `${DISK}/copy`,
    operationId: "startCopy",
    summary: "Start a copy (blockcopy) to a new file under a storage root, or into a new volume",
    body: { schema: copyRequestDocumentSchema, required: true },
    status: 202,
  }),
  jobOperation({
    path: `${DISK}/commit`,
    operationId: "startCommit",
    summary: "Start a commit (blockcommit) of upper layers into a lower one",
    body: { schema: commitBody, required: false },
    status: 202,
  }),
  jobOperation({
    path: `${DISK}/job/pivot`,
    operationId: "pivotJob",
    summary: "Pivot a ready copy or active commit: the domain switches to the new image",
    body: { schema: pivotBody, required: false },
    status: 200,
  }),
  jobOperation({
    path: `${DISK}/job/abort`,
    operationId: "abortJob",
    summary: "Abort the job; `keep-copy` keeps a ready copy as a consistent image",
    body: { schema: abortBody, required: false },
    status: 200,
  }),
  jobOperation({
    path: `${DISK}/job/bandwidth`,
    operationId: "setJobBandwidth",
    summary: "Change a running job's bandwidth limit (bytes/s; 0 = unlimited)",
    body: { schema: bandwidthBody, required: true },
    status: 200,
  }),
];
