/**
 * Browser endpoints of storage moves, each answering with the next state of a piece of the page
 * (htmx): the domain's Move storage section, the Review of a plan, a move's card (polled while
 * the move runs; Switch, Cancel, Up, Down), and the clean-up's confirmation and result. Errors
 * come back as the same piece with the API's sentence in it, where the operator clicked.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import type { Inventory } from "../inventory/service.ts";
import type { Domain } from "../inventory/model.ts";
import { isFinishedMove, type Move, type MoveService } from "../moves/model.ts";
import type { MoveQueue, QueuePlace } from "../moves/queue.ts";
import { HttpError, invalidInput, noteFailure, toHttpError } from "../http_errors.ts";
import { uuidSchema } from "../virsh/values.ts";
import { canControlOf } from "./viewer.ts";
import { moveOf } from "./move_param.ts";
import { parseMoveForm } from "./move_inputs.ts";
import { auditedMoveCleanup, type MoveCleanupDeps } from "./moves_cleanup_api.ts";
import { reviewMoveCleanup } from "../moves/cleanup.ts";
import { movesUnavailable } from "../moves/host_files.ts";
import { DEFAULT_HOST_NAME } from "../hosts/model.ts";
import { MoveCard, moveCleanupId, moveUiPath } from "../../views/move_card.tsx";
import { MoveFormSlot, MoveReview, MoveSection, moveStartErrorId } from "../../views/move_form.tsx";
import { CleanupConfirm, CleanupResult } from "../../views/cleanup.tsx";
import { MoveQueuePanel } from "../../views/move_queue.tsx";

/** What the move pages need. */
export interface MovesUiDeps extends MoveCleanupDeps {
  inventory: Inventory;
  /** The host-wide queue (positions, Up/Down); null: moves are not queued. */
  queue: MoveQueue | null;
  /** The dashboard host these moves are on (default: the default host). */
  hostName?: string;
}

/**
 * The Move storage form's words for the fields an error names: the API's (`destDir`, …) and the
 * form's own (`root`, …). The API keeps its names; the page says the form's.
 */
const FORM_FIELD_LABELS: Readonly<Record<string, string>> = {
  root: "Storage root",
  subfolder: "Subfolder",
  destDir: "Storage root and Subfolder",
  disks: "Disks",
  bandwidthMiB: "Bandwidth limit",
  bandwidthBytes: "Bandwidth limit",
  pivot: "Switch to the new chain",
  synchronousWrites: "Synchronous writes",
  granularity: "Granularity",
  bufSizeKiB: "Buffer",
  bufSize: "Buffer",
};

/**
 * `message` as the form's page says it: a leading `field: ` (or `field.0: `) that names a field
 * of the form is replaced by the field's label; anything else is kept. Pure.
 */
export function inFormWords(message: string): string {
  const m = /^([A-Za-z]+)(?:\.[\w.]*)?: /.exec(message);
  const label = m && Object.hasOwn(FORM_FIELD_LABELS, m[1]) ? FORM_FIELD_LABELS[m[1]] : null;
  return label === null ? message : `${label}: ${message.slice(m![0].length)}`;
}

/** Where move `id` stands, or "absent" without a queue. */
function placeIn(queue: MoveQueue | null, id: string): QueuePlace {
  return queue?.place(id) ?? { kind: "absent" };
}

/** A domain's moves, newest first (the engine lists running ones first). */
export function movesOfDomain(moves: MoveService, uuid: string): Move[] {
  return moves.list().filter((m) => m.uuid === uuid)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/**
 * The domain page's Move storage section for `domain` (the page route calls it, and this
 * module after a Start).
 */
export function moveSectionFor(
  deps: Pick<MovesUiDeps, "moves" | "queue" | "storageRoots" | "runner" | "hostName">,
  c: Context<AppEnv>,
  domain: Domain,
) {
  return (
    <MoveSection
      unavailable={movesUnavailable(deps.hostName ?? DEFAULT_HOST_NAME, deps.runner.uri)}
      domain={domain}
      moves={movesOfDomain(deps.moves, domain.uuid)}
      placeOf={(id) => placeIn(deps.queue, id)}
      canControl={canControlOf(c)}
      storageRoots={deps.storageRoots ?? []}
    />
  );
}

/**
 * The dashboard's queue panel: every unfinished move in queue order; nothing on a host whose
 * files blockboard cannot reach (no move can run there, its domain pages say why).
 */
export function moveQueuePanelFor(
  deps: Pick<MovesUiDeps, "moves" | "queue" | "runner" | "hostName">,
  c: Context<AppEnv>,
  notice: string | null = null,
) {
  if (movesUnavailable(deps.hostName ?? DEFAULT_HOST_NAME, deps.runner.uri)) return null;
  return (
    <MoveQueuePanel
      moves={deps.moves.list().filter((m) => !isFinishedMove(m.state))}
      queue={deps.queue?.snapshot() ??
        { maxRunning: 1, bandwidthBudget: null, running: [], waiting: [] }}
      canControl={canControlOf(c)}
      notice={notice}
    />
  );
}

/** Routes under `/ui`. */
export function movesUi(deps: MovesUiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const requireOperator = (c: Context<AppEnv>, what: string) => {
    if (!canControlOf(c)) throw new HttpError(403, "forbidden", `${what} needs the operator role`);
  };

  const domainOf = async (c: Context<AppEnv>): Promise<Domain> => {
    const uuid = uuidSchema.safeParse(c.req.param("uuid"));
    if (!uuid.success) throw invalidInput(uuid.error, "domain UUID");
    const domain = await deps.inventory.getDomain(uuid.data);
    if (!domain) throw new HttpError(404, "not_found", `No domain with UUID ${uuid.data}`);
    return domain;
  };

  const formFields = async (c: Context<AppEnv>) => {
    const body = await c.req.parseBody({ all: true });
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      const strings = [v].flat().filter((x): x is string => typeof x === "string");
      fields[k] = k === "disks" ? strings : strings[0];
    }
    return fields;
  };

  const card = (c: Context<AppEnv>, move: Move, notice: string | null = null, status = 200) =>
    c.html(
      <MoveCard
        move={move}
        place={placeIn(deps.queue, move.id)}
        canControl={canControlOf(c)}
        notice={notice}
      />,
      status as 200,
    );

  /** The error's sentence where the operator clicked; `form`: in the form's words. */
  const alert = (c: Context<AppEnv>, e: unknown, form = false) => {
    const err = toHttpError(e);
    noteFailure(c, err.message);
    const message = form ? inFormWords(err.message) : err.message;
    return c.html(<p class="error-message" role="alert">{message}</p>, err.status);
  };

  app.get("/domains/:uuid/moves", async (c) => {
    const domain = await domainOf(c);
    return c.html(moveSectionFor(deps, c, domain));
  });

  app.post("/domains/:uuid/move/review", async (c) => {
    requireOperator(c, "Moving storage");
    const domain = await domainOf(c);
    try {
      const form = parseMoveForm(await formFields(c), deps.storageRoots ?? []);
      const plan = await deps.moves.plan(domain.uuid, form.request);
      return c.html(<MoveReview plan={plan} values={form.values} />);
    } catch (e) {
      return alert(c, e, true);
    }
  });

  app.post("/domains/:uuid/move", async (c) => {
    requireOperator(c, "Moving storage");
    const domain = await domainOf(c);
    try {
      const form = parseMoveForm(await formFields(c), deps.storageRoots ?? []);
      await deps.moves.start(domain.uuid, form.request);
    } catch (e) {
      // Keep the reviewed plan and the form: the sentence goes where Start was pressed.
      c.header("HX-Retarget", `#${moveStartErrorId(domain.uuid)}`);
      c.header("HX-Reswap", "innerHTML");
      return alert(c, e, true);
    }
    return c.html(moveSectionFor(deps, c, domain));
  });

  /**
   * The card of a move the page showed as `seen`; once the move has ended (and the page had it
   * unfinished) the form comes back beside it, out of band. Never retargeted: an answer that
   * arrives after its card was replaced (a poll overtaken by a Switch) is dropped by htmx, so it
   * cannot redraw what the operator is looking at now (a clean-up's confirmation).
   */
  const cardAfter = async (c: Context<AppEnv>, move: Move, seen: string | undefined) => {
    const ended = isFinishedMove(move.state) && seen !== undefined && seen !== move.state;
    if (!ended || !canControlOf(c)) return card(c, move);
    const domain = await deps.inventory.getDomain(move.uuid);
    const running = movesOfDomain(deps.moves, move.uuid).some((m) => !isFinishedMove(m.state));
    return c.html(
      <>
        <MoveCard move={move} place={placeIn(deps.queue, move.id)} canControl />
        {domain
          ? (
            <MoveFormSlot
              domain={domain}
              storageRoots={deps.storageRoots ?? []}
              show={!running}
              oob
            />
          )
          : null}
      </>,
    );
  };

  // Answered from the service's memory: polling browsers cause no virsh call while it runs.
  app.get("/moves/:id/card", (c) => {
    const move = moveOf(c, deps.moves);
    return cardAfter(c, move, c.req.query("seen"));
  });

  // On a host without moves the panel's place stays empty (a stale poller swaps itself away).
  app.get("/moves/queue", (c) => c.html(moveQueuePanelFor(deps, c) ?? ""));

  // `?view=queue`: the button is on the dashboard's queue panel, which is answered instead.
  const control = (name: string, act: (move: Move) => Promise<unknown> | unknown) =>
    app.post(`/moves/:id/${name}`, async (c) => {
      const move = moveOf(c, deps.moves);
      requireOperator(c, "Controlling a move");
      const panel = c.req.query("view") === "queue";
      try {
        await act(move);
      } catch (e) {
        const err = toHttpError(e);
        noteFailure(c, err.message);
        if (panel) return c.html(moveQueuePanelFor(deps, c, err.message) ?? "", err.status);
        return card(c, deps.moves.get(move.id) ?? move, err.message, err.status);
      }
      if (panel) return c.html(moveQueuePanelFor(deps, c) ?? "");
      return cardAfter(c, deps.moves.get(move.id) ?? move, move.state);
    });
  control("pivot", (m) => deps.moves.pivot(m.id));
  control("cancel", (m) => deps.moves.cancel(m.id));
  for (const direction of ["up", "down"] as const) {
    control(direction, (m) => {
      const moved = deps.queue &&
        (direction === "up" ? deps.queue.moveUp(m.id) : deps.queue.moveDown(m.id));
      if (!moved) {
        throw new HttpError(
          409,
          "conflict",
          `Move ${m.id} of domain ${m.domain} is ${m.state}, not waiting in the queue: ` +
            "only waiting moves can be reordered.",
        );
      }
    });
  }

  app.get("/moves/:id/cleanup", async (c) => {
    const move = moveOf(c, deps.moves);
    if (c.req.query("cancel") !== undefined) return c.html("");
    requireOperator(c, "Cleaning up");
    try {
      const items = await reviewMoveCleanup(move, {
        runner: deps.runner,
        roots: deps.storageRoots,
      });
      return c.html(
        <CleanupConfirm
          at={{ url: `${moveUiPath(move.id)}/cleanup`, areaId: moveCleanupId(move.id) }}
          verdicts={items.map((i) => ({
            path: i.path,
            deletable: i.verdict === "delete",
            reason: i.verdict === "gone" ? "it is already gone" : i.reason,
          }))}
        />,
      );
    } catch (e) {
      return alert(c, e);
    }
  });

  app.post("/moves/:id/cleanup", async (c) => {
    const move = moveOf(c, deps.moves);
    requireOperator(c, "Cleaning up");
    const body = await c.req.parseBody({ all: true });
    const files = [body.file ?? []].flat().filter((v): v is string => typeof v === "string");
    if (files.length === 0) {
      return alert(c, new HttpError(400, "invalid_input", "files: nothing was confirmed"));
    }
    try {
      const outcome = await auditedMoveCleanup(c, deps, move, files);
      return c.html(<CleanupResult results={outcome.results} />);
    } catch (e) {
      return alert(c, e);
    }
  });
  return app;
}
