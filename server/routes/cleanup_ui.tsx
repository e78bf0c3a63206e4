/**
 * The clean-up of files a finished job left behind, under `/ui/domains/:uuid/disks/:target`:
 * `GET …/cleanup` asks which of them may go (every file checked), `POST …/cleanup` deletes the
 * confirmed ones, checked again, and audits each file deleted or kept (a deletion is no virsh
 * call, so the runner's audit hook does not see it).
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { DiskRef } from "../jobs/operations.ts";
import type { JobHistory } from "../jobs/history.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { HttpError, noteFailure, toHttpError } from "../http_errors.ts";
import { type AuditSink, recordRouteAction } from "../audit/web.ts";
import { checkCleanup, deleteFiles } from "../jobs/cleanup.ts";
import { isActivePhase } from "../jobs/model.ts";
import { diskRefOf } from "./disk_param.ts";
import { canControlOf } from "./viewer.ts";
import { CleanupConfirm, CleanupResult } from "../../views/cleanup.tsx";

/** What the clean-up routes need. */
export interface CleanupUiDeps {
  monitor: JobMonitor;
  /** Reads every domain's XML before anything is deleted. */
  runner: VirshRunner;
  storageRoots: readonly string[] | null;
  /** Finished jobs in the database; null without one. */
  history?: JobHistory | null;
  /** Where deletions are audited; absent in open mode without security. */
  audit?: AuditSink;
}

/** Routes under `/ui`. */
export function cleanupUi(deps: CleanupUiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const base = "/domains/:uuid/disks/:target";

  /** Files that left the disk's chain in its last finished job, not yet deleted. */
  const leftFiles = (r: DiskRef) => {
    const job = deps.monitor.getJob(r.uuid, r.target);
    // A move's mirror left its old files to the move: its own Clean up lists and checks them.
    if (job?.owner) return { files: [], historyId: null };
    if (job && !isActivePhase(job.phase) && job.leftChain) {
      return {
        files: job.leftChain.filter((f) => !(job.cleaned ?? []).includes(f)),
        historyId: null,
      };
    }
    const stored = job ? undefined : deps.history?.recent(r.uuid, r.target, 1)[0];
    if (!stored) return { files: [], historyId: null };
    return {
      files: stored.leftChain.filter((f) => !stored.cleaned.includes(f)),
      historyId: stored.id,
    };
  };

  app.get(`${base}/cleanup`, async (c) => {
    const r = diskRefOf(c);
    if (c.req.query("cancel") !== undefined) return c.html("");
    if (!canControlOf(c)) {
      throw new HttpError(403, "forbidden", "Cleaning up needs the operator role");
    }
    const { files } = leftFiles(r);
    try {
      const verdicts = await checkCleanup(files, { runner: deps.runner, roots: deps.storageRoots });
      return c.html(<CleanupConfirm uuid={r.uuid} target={r.target} verdicts={verdicts} />);
    } catch (e) {
      return c.html(<p class="error-message" role="alert">{toHttpError(e).message}</p>);
    }
  });

  app.post(`${base}/cleanup`, async (c) => {
    const r = diskRefOf(c);
    if (!canControlOf(c)) {
      throw new HttpError(403, "forbidden", "Cleaning up needs the operator role");
    }
    const body = await c.req.parseBody({ all: true });
    const posted = [body.file ?? []].flat().filter((v): v is string => typeof v === "string");
    const { files, historyId } = leftFiles(r);
    // Only files the operator confirmed *and* the job left behind; everything is checked again.
    const wanted = files.filter((f) => posted.includes(f));
    let verdicts;
    try {
      verdicts = await checkCleanup(wanted, { runner: deps.runner, roots: deps.storageRoots });
    } catch (e) {
      const err = toHttpError(e);
      noteFailure(c, err.message);
      return c.html(<p class="error-message" role="alert">{err.message}</p>, err.status);
    }
    const results = await deleteFiles(verdicts);
    for (const res of results) {
      if (!deps.audit) break;
      recordRouteAction(deps.audit, c, {
        action: "job.cleanup",
        result: res.deleted
          ? "ok"
          : verdicts.find((v) => v.path === res.path)?.deletable
          ? "failed"
          : "refused",
        message: res.deleted ? `deleted ${res.path}` : `kept ${res.path}: ${res.reason}`,
      });
    }
    const deleted = results.filter((x) => x.deleted).map((x) => x.path);
    if (deleted.length > 0) {
      if (historyId !== null) deps.history?.addCleaned(historyId, deleted);
      else deps.monitor.noteCleaned(r.uuid, r.target, deleted);
    }
    return c.html(<CleanupResult results={results} />);
  });
  return app;
}
