/**
 * Browser endpoints for jobs: each answers with the next state of a piece of the page (a disk, a
 * job card, a preview), the htmx way. Errors come back as the same piece with the message in it,
 * so htmx 4 (which swaps 4xx/5xx) shows them where the operator clicked.
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { Inventory } from "../inventory/service.ts";
import type { Disk, Domain } from "../inventory/model.ts";
import type { JobMonitor } from "../jobs/monitor.ts";
import type { DiskRef, JobOperations } from "../jobs/operations.ts";
import type { JobRequest } from "../jobs/plan.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import { displayCommandLine } from "../virsh/display.ts";
import { HttpError, invalidInput, noteFailure, toHttpError } from "../http_errors.ts";
import { copyDestLookup } from "./copy_dest.ts";
import { canControlOf } from "./viewer.ts";
import { bandwidthForm, commitForm, copyForm, pullForm } from "./job_inputs.ts";
import { DiskRow } from "../../views/dashboard.tsx";
import { diskExtras } from "../../views/disk_extras.tsx";
import { diskElementId, JobCard, JobStatus } from "../../views/job.tsx";
import { formErrorId, PlanPreview } from "../../views/job_forms.tsx";
import type { JobHistory } from "../jobs/history.ts";
import { type HistorySources, recentHistory } from "../jobs/history_entries.ts";
import type { MoveService } from "../moves/model.ts";
import { JobFeed } from "../../views/job_feed.tsx";
import { JobSlot } from "../../views/disk_extras.tsx";
import { diskRefOf } from "./disk_param.ts";
import { isLocalUri, VolumeCopies, volumePoolsFor } from "../volumes/remote_copy.ts";
import { volumeCopyForm } from "./volume_copy_form.ts";
import type { Migration } from "../migrations/model.ts";
import { Whereabouts } from "../../views/migration.tsx";

/** What the browser job routes need. */
export interface JobUiDeps {
  inventory: Inventory;
  monitor: JobMonitor;
  operations: JobOperations;
  storageRoots: readonly string[] | null;
  /** Watched during a Start, to show the exact command that ran; reads every domain's XML
   * before a clean-up deletes anything. */
  runner: VirshRunner;
  /** Finished jobs in the database; null without one. */
  history?: JobHistory | null;
  /** Storage moves: finished ones join the recent jobs of the disks they moved. */
  moves?: Pick<MoveService, "list"> | null;
  /** The completed migration that took domain `uuid` away from this host, if one did. */
  departedTo?: (uuid: string) => Migration | null;
  /** This host's finished migrations, for the disks' recent jobs. */
  migrationHistory?: HistorySources["migrations"];
}

/** Start subcommands, by form. */
const START_SUBCOMMAND = { copy: "blockcopy", pull: "blockpull", commit: "blockcommit" } as const;

/** How many finished jobs a disk lists under its card. */
const RECENT_JOBS = 5;

const START_FORMS = { copy: copyForm, pull: pullForm, commit: commitForm } as const;
type StartOp = keyof typeof START_FORMS;

/** A feed generation from the query: a whole number, or null. */
function generationParam(raw: string | undefined): number | null {
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : null;
}

/** Routes under `/ui/domains/:uuid/disks/:target`. */
export function jobsUi(deps: JobUiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const ref = diskRefOf;

  const form = async <T,>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<T> => {
    const body = await c.req.parseBody();
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === "string") fields[k] = v;
    const r = schema.safeParse(fields);
    if (!r.success) throw invalidInput(r.error, "form");
    return r.data;
  };

  /**
   * The disk's article, fresh from libvirt, optionally with a notice on its job card, or the
   * command a Start ran.
   */
  const renderDisk = async (
    c: Context<AppEnv>,
    r: DiskRef,
    notice: string | null,
    status = 200,
    ran: string | null = null,
  ) => {
    deps.inventory.invalidate(r.uuid);
    const domain = await deps.inventory.getDomain(r.uuid);
    const disk = domain?.disks.find((d) => d.target === r.target);
    if (!domain || !disk) {
      // Gone because it migrated: say where to, with the way there, not that the disk vanished.
      const departed = domain ? null : deps.departedTo?.(r.uuid) ?? null;
      return c.html(
        <article class="disk" id={diskElementId(r.uuid, r.target)}>
          {departed
            ? <Whereabouts migration={departed} here={departed.from} />
            : (
              <p class="error-message">
                {notice ?? `Disk ${r.target} is no longer part of this domain.`}
              </p>
            )}
        </article>,
        status === 200 ? 404 : status as 400,
      );
    }
    const extras = diskExtras({
      canControl: canControlOf(c),
      storageRoots: deps.storageRoots ?? [],
      copyDest: canControlOf(c)
        ? await copyDestLookup([domain], deps.storageRoots ?? [])
        : undefined,
      history: recent,
      volumePools: canControlOf(c) ? await volumePoolsFor(deps.runner) : null,
      notice: (_d: Domain, k: Disk) => (k.target === r.target ? notice : null),
      ran: (_d: Domain, k: Disk) => (k.target === r.target ? ran : null),
    });
    return c.html(<DiskRow domain={domain} disk={disk} extras={extras} />, status as 200);
  };

  const volumes = new VolumeCopies(deps.runner, deps.operations, deps.monitor);

  // Named one by one: `deps` may carry other things called `migrations` (the app's service).
  const sources = { history: deps.history, moves: deps.moves, migrations: deps.migrationHistory };
  const recent = (uuid: string, target: string) =>
    recentHistory(sources, uuid, target, RECENT_JOBS);

  const base = "/domains/:uuid/disks/:target";

  // The shared change feed: from memory (monitor, inventory snapshot, database). It starts virsh
  // only when an event marked the snapshot out of date: once per change, not per page.
  app.get("/jobs/feed", async (c) => {
    const since = generationParam(c.req.query("since"));
    const chainsSince = generationParam(c.req.query("chains") ?? "0");
    if (since === null || chainsSince === null) {
      // Still a feed element, so the page keeps polling from now on.
      return c.html(
        <JobFeed generation={deps.monitor.generation} chains={deps.inventory.generation} />,
        400,
      );
    }
    const changes = deps.monitor.changesSince(since);
    const chains = await deps.inventory.chainChangesSince(chainsSince);
    const canControl = canControlOf(c);
    const redrawn = new Set(chains.domains.map((d) => d.uuid));
    const extras = chains.domains.length
      ? diskExtras({
        canControl,
        storageRoots: deps.storageRoots ?? [],
        copyDest: canControl
          ? await copyDestLookup(chains.domains, deps.storageRoots ?? [])
          : undefined,
        history: recent,
        volumePools: canControl ? await volumePoolsFor(deps.runner) : null,
      })
      : undefined;
    const jobs = changes.disks.flatMap((d) => {
      const job = deps.monitor.getJob(d.uuid, d.target);
      return job ? [job] : [];
    });
    return c.html(
      <JobFeed generation={changes.generation} chains={chains.generation} jobs={jobs}>
        {changes.disks.filter((d) => !redrawn.has(d.uuid)).map((d) => (
          <JobSlot
            uuid={d.uuid}
            target={d.target}
            job={deps.monitor.getJob(d.uuid, d.target)}
            history={recent(d.uuid, d.target)}
            canControl={canControl}
            oob
          />
        ))}
        {chains.domains.flatMap((domain) =>
          domain.disks.map((disk) => <DiskRow domain={domain} disk={disk} extras={extras} oob />)
        )}
      </JobFeed>,
    );
  });

  app.get(`${base}/job/status`, (c) => {
    const r = ref(c);
    const seen = c.req.query("seen") ?? "";
    // Answered from the monitor's memory: polling browsers never cause virsh calls.
    const job = deps.monitor.getJob(r.uuid, r.target);
    if (job && job.phase === seen) {
      return c.html(<JobStatus job={job} />);
    }
    // The phase changed: new controls, and after the end a new chain. Replace the whole disk.
    c.header("HX-Retarget", `#${diskElementId(r.uuid, r.target)}`);
    c.header("HX-Reswap", "outerHTML");
    return renderDisk(c, r, null);
  });

  const control = (
    name: string,
    act: (r: DiskRef) => Promise<unknown>,
  ) =>
    app.post(`${base}/job/${name}`, async (c) => {
      const r = ref(c);
      if (!canControlOf(c)) {
        throw new HttpError(403, "forbidden", "Controlling jobs needs the operator role");
      }
      try {
        await act(r);
      } catch (e) {
        const err = toHttpError(e);
        noteFailure(c, err.message);
        return renderDisk(c, r, err.message, err.status);
      }
      return renderDisk(c, r, null);
    });
  control("pivot", (r) => deps.operations.pivot(r));
  control("keep", (r) => deps.operations.abort(r, "keep-copy"));
  control("abort", (r) => deps.operations.abort(r, "abort"));

  app.post(`${base}/job/bandwidth`, async (c) => {
    const r = ref(c);
    if (!canControlOf(c)) {
      throw new HttpError(403, "forbidden", "Controlling jobs needs the operator role");
    }
    const card = (notice: string | null, status: number) => {
      const job = deps.monitor.getJob(r.uuid, r.target);
      if (!job) return renderDisk(c, r, notice, status);
      return c.html(
        <JobCard
          job={job}
          notice={notice}
          canControl
        />,
        status as 200,
      );
    };
    try {
      const bytes = await form(c, bandwidthForm);
      await deps.operations.setBandwidth(r, bytes);
    } catch (e) {
      const err = toHttpError(e);
      noteFailure(c, err.message);
      return card(err.message, err.status);
    }
    return card(null, 200);
  });

  for (const op of Object.keys(START_FORMS) as StartOp[]) {
    app.post(`${base}/${op}`, async (c) => {
      const r = ref(c);
      // The server plans afresh from the submitted form (never from the preview the page showed)
      // and the answer shows the exact command that ran: the one libvirt got for this disk.
      let ran: string | null = null;
      const stop = deps.runner.onCall((call) => {
        const args = call.argv[0] === "-c" ? call.argv.slice(2) : call.argv;
        if (
          args[0] === START_SUBCOMMAND[op] && args.includes(r.uuid) && args.includes(r.target) &&
          call.code === 0
        ) {
          ran = displayCommandLine(deps.runner.uri, call.argv);
        }
      });
      try {
        if (!canControlOf(c)) {
          throw new HttpError(403, "forbidden", "Starting jobs needs the operator role");
        }
        if (op === "copy" && "pool" in await c.req.parseBody()) {
          await volumes.startCopy(r, await form(c, volumeCopyForm));
        } else if (op === "copy" && !isLocalUri(deps.runner.uri)) {
          throw new HttpError(
            400,
            "invalid_input",
            `blockboard cannot check files on ${deps.runner.uri}; copy into a new volume of one of its storage pools`,
          );
        } else if (op === "copy") await deps.operations.startCopy(r, await form(c, copyForm));
        else if (op === "pull") await deps.operations.startPull(r, await form(c, pullForm));
        else await deps.operations.startCommit(r, await form(c, commitForm));
      } catch (e) {
        const err = toHttpError(e);
        noteFailure(c, err.message);
        // Keep the operator's input: show the error in the form instead of replacing the disk.
        c.header("HX-Retarget", `#${formErrorId(r.uuid, r.target, op)}`);
        c.header("HX-Reswap", "innerHTML");
        return c.html(<p class="error-message" role="alert">{err.message}</p>, err.status);
      } finally {
        stop();
      }
      return renderDisk(c, r, null, 200, ran);
    });

    app.post(`${base}/preview/${op}`, async (c) => {
      const r = ref(c);
      let fields: Record<string, unknown>;
      try {
        fields = await c.req.parseBody();
      } catch {
        // The browser aborted this preview for a newer one (hx-sync="replace"): nobody listens.
        return c.body(null, 204);
      }
      // Echo the form state number so the page can drop answers about an older state.
      const raw = fields.previewSeq;
      const seq = typeof raw === "string" && /^\d{1,15}$/.test(raw) ? raw : undefined;
      if (seq !== undefined) c.header("X-Preview-Seq", seq);
      try {
        const input = await form(c, START_FORMS[op] as z.ZodType<unknown>);
        const plan = await deps.operations.preview(r, { op, input } as JobRequest);
        return c.html(<PlanPreview plan={plan} seq={seq} />);
      } catch (e) {
        return c.html(<PlanPreview plan={null} error={toHttpError(e).message} seq={seq} />);
      }
    });
  }
  return app;
}
