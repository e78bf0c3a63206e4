/**
 * A storage move while it waits, runs and after it ends: one card with a bar per layer and one
 * overall (bytes, rate, ETA), the queue position with Up/Down while it waits, Cancel, Switch
 * (enabled at `ready`), and Clean up once it is done. While the move is unfinished the card
 * polls itself (htmx load polling: each answer schedules the next); a finished card is rendered
 * without `hx-get`, which is how polling stops in htmx 4. Pure.
 *
 * @module
 */
import type { Move, MoveLayer, MoveLayerState, MoveState } from "../server/moves/model.ts";
import { isFinishedMove } from "../server/moves/model.ts";
import type { QueuePlace } from "../server/moves/queue.ts";
import { baseName } from "./chain.tsx";
import { hostHref } from "./host_base.ts";
import { formatBytes, formatDuration, formatPercent, formatRate } from "./format.ts";

/** Element id of a move's card. */
export function moveCardId(id: string): string {
  return `move-${id}`;
}

/** Element id of a done move's clean-up area. */
export function moveCleanupId(id: string): string {
  return `move-cleanup-${id}`;
}

/** URL prefix of a move's browser (HTML) endpoints, on the host of the page. */
export function moveUiPath(id: string): string {
  return hostHref(`/ui/moves/${id}`);
}

const STATE_LABEL: Record<MoveState, string> = {
  planned: "planned",
  copying: "copying the backing layers",
  mirroring: "mirroring the active layers",
  ready: "ready to switch",
  pivoting: "switching",
  done: "done",
  failed: "failed",
  canceled: "canceled",
};

const LAYER_LABEL: Record<MoveLayerState, string> = {
  pending: "waiting",
  copying: "copying",
  verifying: "verifying",
  copied: "copied and verified",
  mirroring: "mirroring",
  ready: "in sync",
  done: "done",
  failed: "failed",
  canceled: "canceled",
};

/** Layer states whose copy is complete: the bar reads full whatever the last count said. */
const LAYER_WHOLE: ReadonlySet<MoveLayerState> = new Set(["copied", "ready", "done"]);

/**
 * A bar's value (0-100) for `done` of `total` bytes; a total of 0 (an empty layer) is complete
 * once `whole`, else at 0. Never above 100. Pure.
 */
export function barPercent(done: number, total: number, whole: boolean): number {
  if (whole) return 100;
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, (done / total) * 100));
}

/**
 * What the overall line says: amount (the Review's measure, see `layerBytesToCopy`), and while
 * copying the rate and ETA (`—` while unknown); none once in sync or ended. Pure.
 */
export function moveFigures(
  move: Move,
): { percent: number; amount: string; rate: string | null; eta: string | null } {
  const finished = isFinishedMove(move.state);
  const percent = barPercent(move.bytesDone, move.bytesTotal, move.state === "done");
  // Ready: cur and end only follow the guest's writes (the ready line says "in sync").
  const copying = !finished && move.state !== "planned" && move.state !== "ready";
  return {
    percent,
    amount: `${formatBytes(move.bytesDone)} of ${formatBytes(move.bytesTotal)} to copy`,
    rate: copying ? formatRate(move.rateBytesPerSecond) : null,
    eta: copying ? formatDuration(move.etaSeconds) : null,
  };
}

/** Props of {@link MoveCard}. */
export interface MoveCardProps {
  move: Move;
  /** Where the move is in the host-wide queue. */
  place: QueuePlace;
  /** Can the viewer control moves (operator role)? */
  canControl: boolean;
  /** An error from the last action (the same sentence the API gives), shown above the controls. */
  notice?: string | null;
}

/** The move's card. */
export function MoveCard({ move, place, canControl, notice }: MoveCardProps) {
  const finished = isFinishedMove(move.state);
  const ui = moveUiPath(move.id);
  const figures = moveFigures(move);
  const poll = finished ? {} : {
    // `seen`: once the move has ended the answer brings the form back, out of band.
    "hx-get": `${ui}/card?seen=${move.state}`,
    "hx-trigger": "load delay:1s",
    "hx-swap": "outerHTML",
  };
  return (
    <div
      id={moveCardId(move.id)}
      class={`move-card move-${move.state}`}
      data-move={move.id}
      data-state={move.state}
      data-percent={String(figures.percent)}
      {...poll}
    >
      <div class="job-head">
        <strong class="job-type">Storage move</strong>
        <span class={`badge badge-job badge-move-${move.state}`}>{STATE_LABEL[move.state]}</span>
        <span class="job-dest">
          → <code>{move.destDir}</code>
        </span>
        <span class="tag">{move.mode}</span>
        <span class="tag">{move.pivot === "auto" ? "switches by itself" : "manual switch"}</span>
        {move.startedBy ? <span class="job-by muted">started by {move.startedBy}</span> : null}
      </div>
      {place.kind === "waiting" && move.state === "planned"
        ? (
          <p class="move-queue" data-position={String(place.position)}>
            Waiting in the queue: position {place.position} of {place.of}.
          </p>
        )
        : null}
      <div aria-live="polite">
        {move.disks.map((disk) => (
          <div class="move-disk" data-target={disk.target}>
            <h3 class="move-disk-target">{disk.target}</h3>
            {disk.job?.phase === "mirroring" && disk.job.notConverging
              ? (
                <p class="warning job-warning job-not-converging" role="alert">
                  {disk.job.notConverging}
                </p>
              )
              : null}
            <ol class="move-layers">
              {disk.layers.map((layer, i) => (
                <MoveLayerRow
                  layer={layer}
                  label={`Layer ${i + 1} (${baseName(layer.from)}) of disk ${disk.target}`}
                />
              ))}
            </ol>
          </div>
        ))}
        <progress
          class="job-bar move-overall"
          max="100"
          value={String(figures.percent)}
          aria-label={`Storage move progress of domain ${move.domain}`}
        >
          {formatPercent(figures.percent)}
        </progress>
        <div class="job-stats">
          <span class="job-percent">{formatPercent(figures.percent)}</span>
          <span class="job-amount">{figures.amount}</span>
          {figures.rate !== null ? <span>rate {figures.rate}</span> : null}
          {figures.eta !== null ? <span>ETA {figures.eta}</span> : null}
          <span>limit {move.bandwidthBytes > 0 ? formatRate(move.bandwidthBytes) : "none"}</span>
        </div>
      </div>
      {move.state === "ready" && move.pivot === "manual"
        ? (
          <p class="job-ready">
            Every disk is in sync: the new chain receives every write. Switch when you choose.
          </p>
        )
        : null}
      {move.message ? <p class="job-message move-message">{move.message}</p> : null}
      {notice ? <p class="error-message job-notice" role="alert">{notice}</p> : null}
      {canControl && !finished ? <MoveControls move={move} place={place} /> : null}
      {canControl && move.state === "done"
        ? (
          <div class="move-cleanup-area">
            <button
              type="button"
              class="btn"
              data-action="move-cleanup"
              hx-get={`${ui}/cleanup`}
              hx-target={`#${moveCleanupId(move.id)}`}
              hx-swap="innerHTML"
              hx-disable="this"
            >
              Clean up the old files…
            </button>
            <div id={moveCleanupId(move.id)} class="cleanup"></div>
          </div>
        )
        : null}
    </div>
  );
}

/** One layer: from → to, its bar and its amount. */
function MoveLayerRow({ layer, label }: { layer: MoveLayer; label: string }) {
  const percent = barPercent(layer.doneBytes, layer.bytes, LAYER_WHOLE.has(layer.state));
  return (
    <li class={`move-layer move-layer-${layer.state}`} data-state={layer.state}>
      <div class="move-layer-paths">
        <code>{layer.from}</code> → <code>{layer.to}</code> <span class="fmt">{layer.format}</span>
      </div>
      <progress class="job-bar" max="100" value={String(percent)} aria-label={label}>
        {formatPercent(percent)}
      </progress>
      <span class="move-layer-figures muted">
        {LAYER_LABEL[layer.state]}:{" "}
        {formatBytes(LAYER_WHOLE.has(layer.state) ? layer.bytes : layer.doneBytes)} of{" "}
        {formatBytes(layer.bytes)}
      </span>
    </li>
  );
}

/** Switch, Cancel and, while waiting, Up and Down. */
function MoveControls({ move, place }: { move: Move; place: QueuePlace }) {
  const ui = moveUiPath(move.id);
  const button = (
    action: string,
    label: string,
    extra: Record<string, string | boolean | undefined> = {},
  ) => (
    <button
      type="button"
      class={`btn${action === "pivot" ? " btn-primary" : action === "cancel" ? " btn-danger" : ""}`}
      data-action={`move-${action === "pivot" ? "switch" : action}`}
      hx-post={`${ui}/${action}`}
      hx-target={`#${moveCardId(move.id)}`}
      hx-swap="outerHTML"
      hx-disable="this"
      {...extra}
    >
      {label}
    </button>
  );
  const waiting = place.kind === "waiting" && move.state === "planned";
  const ready = move.state === "ready";
  return (
    <div class="job-controls move-controls">
      {waiting
        ? (
          <>
            {button("up", "Up", {
              disabled: place.position <= 1,
              title: "start this move earlier",
            })}
            {button("down", "Down", {
              disabled: place.position >= place.of,
              title: "start this move later",
            })}
          </>
        )
        : null}
      {move.pivot === "manual" && !waiting
        ? button("pivot", "Switch now", {
          disabled: !ready,
          title: ready
            ? "switch the domain to the new chain now"
            : "enabled once every disk of the move is in sync",
        })
        : null}
      {move.state === "pivoting" ? null : button("cancel", "Cancel", {
        "hx-confirm": waiting
          ? "Take this move out of the queue? Nothing has been written yet."
          : "Cancel the move? The domain stays on its old chain; the files the move created are removed.",
      })}
      {move.state === "pivoting"
        ? <span class="muted">Switching the disks: the move can no longer be canceled.</span>
        : null}
    </div>
  );
}
