/**
 * The host-wide move queue on the dashboard: the moves running now, then the waiting ones in the
 * order they will start, each linking to its domain's page; operators move waiting ones up or
 * down or take them out. It asks for itself again every 2 s (htmx load polling), answered from
 * memory. Pure.
 *
 * @module
 */
import type { Move } from "../server/moves/model.ts";
import type { QueueSnapshot } from "../server/moves/queue.ts";
import { domainHref } from "./dashboard.tsx";
import { formatPercent, formatRate } from "./format.ts";
import { hostHref } from "./host_base.ts";
import { moveFigures, moveUiPath } from "./move_card.tsx";

/** Element id of the panel. */
export const MOVE_QUEUE_ID = "move-queue";

/** URL the panel polls (and its buttons' answers replace it with), on the host of the page. */
export function moveQueueUrl(): string {
  return hostHref("/ui/moves/queue");
}

/** Props of {@link MoveQueuePanel}. */
export interface MoveQueuePanelProps {
  /** Unfinished moves, any order; the queue's order is applied here. */
  moves: readonly Move[];
  queue: QueueSnapshot;
  canControl: boolean;
  /** An error from the last button (the API's sentence). */
  notice?: string | null;
}

/** Running moves, then waiting ones in queue order; moves the queue does not hold last. Pure. */
export function queueOrder(moves: readonly Move[], queue: QueueSnapshot): Move[] {
  const rank = new Map<string, number>();
  [...queue.running, ...queue.waiting].forEach((id, i) => rank.set(id, i));
  return [...moves].sort((a, b) =>
    (rank.get(a.id) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.id) ?? Number.MAX_SAFE_INTEGER)
  );
}

/** The panel. */
export function MoveQueuePanel({ moves, queue, canControl, notice }: MoveQueuePanelProps) {
  const ordered = queueOrder(moves, queue);
  return (
    <section
      id={MOVE_QUEUE_ID}
      class="move-queue-panel"
      aria-labelledby="move-queue-title"
      hx-get={moveQueueUrl()}
      hx-trigger="load delay:2s"
      hx-swap="outerHTML"
    >
      <h2 id="move-queue-title" class="jobs-strip-title">Storage moves</h2>
      {notice ? <p class="error-message" role="alert">{notice}</p> : null}
      {ordered.length === 0
        ? <p class="muted">No storage move is running or waiting.</p>
        : (
          <ol class="move-queue-list">
            {ordered.map((m) => {
              const at = queue.waiting.indexOf(m.id);
              return (
                <li class="move-queue-item" data-move={m.id} data-state={m.state}>
                  <a href={domainHref(m.domain)}>{m.domain}</a> {at >= 0
                    ? (
                      <span class="tag" data-position={String(at + 1)}>
                        waiting: {at + 1} of {queue.waiting.length}
                      </span>
                    )
                    : (
                      <>
                        <span class={`badge badge-job badge-move-${m.state}`}>{m.state}</span>{" "}
                        <span class="strip-percent">{formatPercent(moveFigures(m).percent)}</span>
                      </>
                    )} <span class="muted">→ {m.destDir}</span>
                  {canControl && at >= 0
                    ? (
                      <span class="move-queue-controls">
                        <QueueButton id={m.id} action="up" disabled={at === 0}>Up</QueueButton>
                        <QueueButton
                          id={m.id}
                          action="down"
                          disabled={at === queue.waiting.length - 1}
                        >
                          Down
                        </QueueButton>
                        <QueueButton id={m.id} action="cancel">Cancel</QueueButton>
                      </span>
                    )
                    : null}
                </li>
              );
            })}
          </ol>
        )}
      <p class="muted move-queue-limits">
        At most {queue.maxRunning} move{queue.maxRunning === 1 ? "" : "s"} at once
        {queue.bandwidthBudget !== null
          ? `, sharing ${formatRate(queue.bandwidthBudget)}`
          : ", no shared bandwidth budget"}.
      </p>
    </section>
  );
}

/** Up, Down or Cancel of a waiting move; the answer is the panel again. */
function QueueButton(
  { id, action, disabled = false, children }: {
    id: string;
    action: "up" | "down" | "cancel";
    disabled?: boolean;
    children: string;
  },
) {
  return (
    <button
      type="button"
      class={`btn${action === "cancel" ? " btn-danger" : ""}`}
      data-action={`queue-${action}`}
      hx-post={`${moveUiPath(id)}/${action}?view=queue`}
      hx-target={`#${MOVE_QUEUE_ID}`}
      hx-swap="outerHTML"
      hx-disable="this"
      disabled={disabled}
      hx-confirm={action === "cancel"
        ? "Take this move out of the queue? Nothing has been written yet."
        : undefined}
    >
      {children}
    </button>
  );
}
