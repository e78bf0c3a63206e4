/**
 * The domain page's **Move storage** section: the domain's current (or last) move card, and for
 * operators the form (a storage root and a subfolder, which disks, bandwidth, switch mode) whose
 * Review step shows the plan before anything runs: every file → its new path, bytes, the exact
 * commands and the chain afterwards, with the Start button under it. Pure.
 *
 * @module
 */
import type { Disk, Domain } from "../server/inventory/model.ts";
import type { Move, MovePlan, PlannedMoveLayer } from "../server/moves/model.ts";
import { isFinishedMove } from "../server/moves/model.ts";
import { mirrorScansWhole } from "../server/moves/progress.ts";
import type { QueuePlace } from "../server/moves/queue.ts";
import { formatBytes, formatRate } from "./format.ts";
import { MoveCard } from "./move_card.tsx";
import { MirrorTuningInputs } from "./job_forms.tsx";
import { jobOptionWords } from "./job.tsx";
import { hostHref } from "./host_base.ts";

/** Element id of a domain's Move storage section. */
export function movesSectionId(uuid: string): string {
  return `moves-${uuid}`;
}

/** Element id of the review area under the form. */
export function moveReviewId(uuid: string): string {
  return `move-review-${uuid}`;
}

/** Element id of the box a failed Start writes its sentence into (the plan stays). */
export function moveStartErrorId(uuid: string): string {
  return `move-start-error-${uuid}`;
}

/** URL prefix of a domain's move endpoints (browser), on the host of the page. */
export function domainMoveUiPath(uuid: string): string {
  return hostHref(`/ui/domains/${uuid}/move`);
}

/** The form's fields as typed, carried from Review to Start unchanged. */
export interface MoveFormValues {
  root: string;
  subfolder: string;
  disks: string[];
  /** Decimal MiB/s as typed; empty for none. */
  bandwidthMiB: string;
  pivot: "manual" | "auto";
  /** The mirror tuning as typed (see `MirrorTuningInputs`): the checkbox, bytes, KiB. */
  synchronousWrites: boolean;
  granularity: string;
  bufSizeKiB: string;
}

/** Disks a move can take: real disks with an image (no cdroms, no empty drives). Pure. */
export function movableDisks(domain: Domain): Disk[] {
  return domain.disks.filter((d) => d.device === "disk" && d.source !== null);
}

/** A subfolder name to offer: the domain's name if it is a plain file name, else `moved`. Pure. */
export function suggestedSubfolder(domain: Domain): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(domain.name) ? domain.name : "moved";
}

/** Props of {@link MoveSection}. */
export interface MoveSectionProps {
  domain: Domain;
  /** This domain's moves, newest first. */
  moves: readonly Move[];
  /** Where a move stands in the queue. */
  placeOf: (id: string) => QueuePlace;
  canControl: boolean;
  /** Storage roots a destination must be under. */
  storageRoots: readonly string[];
  /** Why this host cannot move storage (its files are not on this machine); null: it can. */
  unavailable?: string | null;
}

/**
 * The section: unfinished moves (or the last finished one), then the form when none runs; on a
 * host whose files blockboard cannot reach, only the sentence saying why and what to use.
 */
export function MoveSection(props: MoveSectionProps) {
  const { domain, moves, canControl } = props;
  if (props.unavailable) {
    const heading = `moves-h-${domain.uuid}`;
    return (
      <section class="move-storage" id={movesSectionId(domain.uuid)} aria-labelledby={heading}>
        <h2 id={heading} class="move-storage-title">Move storage</h2>
        <p class="muted move-unavailable">{capitalised(props.unavailable)}.</p>
      </section>
    );
  }
  const active = moves.filter((m) => !isFinishedMove(m.state));
  const shown = active.length > 0 ? active : moves.slice(0, 1);
  const heading = `moves-h-${domain.uuid}`;
  return (
    <section class="move-storage" id={movesSectionId(domain.uuid)} aria-labelledby={heading}>
      <h2 id={heading} class="move-storage-title">Move storage</h2>
      {shown.map((move) => (
        <MoveCard move={move} place={props.placeOf(move.id)} canControl={canControl} />
      ))}
      <MoveFormSlot
        domain={domain}
        storageRoots={props.storageRoots}
        show={canControl && active.length === 0}
      />
      {!canControl && shown.length === 0 ? <p class="muted">No storage move yet.</p> : null}
    </section>
  );
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Element id of the place the form goes (empty while a move of the domain runs). */
export function moveFormSlotId(uuid: string): string {
  return `move-form-slot-${uuid}`;
}

/** Props of {@link MoveFormSlot}. */
export interface MoveFormSlotProps {
  domain: Domain;
  storageRoots: readonly string[];
  /** Offer the form (an operator, no move of the domain unfinished). */
  show: boolean;
  /** Sent out of band beside a card whose move just ended: the form comes back. */
  oob?: boolean;
}

/** Where the form sits in the section. */
export function MoveFormSlot({ domain, storageRoots, show, oob }: MoveFormSlotProps) {
  return (
    <div
      id={moveFormSlotId(domain.uuid)}
      class="move-form-slot"
      {...(oob ? { "hx-swap-oob": "true" } : {})}
    >
      {show ? <MoveForm domain={domain} storageRoots={storageRoots} /> : null}
    </div>
  );
}

/** Props of {@link MoveForm}. */
export interface MoveFormProps {
  domain: Domain;
  storageRoots: readonly string[];
}

/** The form, folded away until asked for; Review posts it and shows the plan below. */
export function MoveForm({ domain, storageRoots }: MoveFormProps) {
  const disks = movableDisks(domain);
  const ui = domainMoveUiPath(domain.uuid);
  return (
    <details class="move-start">
      <summary>Move this domain's storage to another directory…</summary>
      {storageRoots.length === 0
        ? <p class="muted">No storage roots are configured, so blockboard writes nowhere.</p>
        : disks.length === 0
        ? <p class="muted">This domain has no disk with an image to move.</p>
        : (
          <form
            class="move-form"
            hx-post={`${ui}/review`}
            hx-target={`#${moveReviewId(domain.uuid)}`}
            hx-swap="innerHTML"
            hx-disable="find button"
          >
            <p class="hint">
              Every layer of each chosen disk is copied into the destination and keeps its place in
              the chain; the domain then switches to the copies. The old files stay until you clean
              them up.
            </p>
            <label>
              Storage root
              <select name="root">
                {storageRoots.map((r) => <option value={r}>{r}</option>)}
              </select>
            </label>
            <label>
              Subfolder (inside the root; empty: the root itself)
              <input
                name="subfolder"
                type="text"
                spellcheck={false}
                autocomplete="off"
                value={suggestedSubfolder(domain)}
              />
            </label>
            <fieldset class="move-disks">
              <legend>Disks</legend>
              {disks.map((d) => (
                <label class="check">
                  <input type="checkbox" name="disks" value={d.target} checked /> {d.target}{" "}
                  <span class="muted">
                    ({d.chain.length} layer{d.chain.length === 1 ? "" : "s"})
                  </span>
                </label>
              ))}
            </fieldset>
            <label>
              Bandwidth limit, MiB/s (empty or 0: none)
              <input name="bandwidthMiB" type="number" min="0" step="any" inputmode="decimal" />
            </label>
            <fieldset class="move-pivot">
              <legend>Switch to the new chain</legend>
              <label class="check">
                <input type="radio" name="pivot" value="manual" checked /> when I press Switch
              </label>
              <label class="check">
                <input type="radio" name="pivot" value="auto" /> as soon as every disk is in sync
              </label>
            </fieldset>
            <MirrorTuningInputs />
            <button type="submit" class="btn" data-action="move-review">Review the plan</button>
          </form>
        )}
      <div id={moveReviewId(domain.uuid)} class="move-review" aria-live="polite"></div>
    </details>
  );
}

const ACTION_LABEL: Record<PlannedMoveLayer["action"], string> = {
  copy: "copied, rebased, compared",
  "create-and-mirror": "new overlay, mirrored live",
};

/** Props of {@link MoveReview}. */
export interface MoveReviewProps {
  plan: MovePlan;
  /** The form as typed: Start sends exactly it again (the server plans afresh). */
  values: MoveFormValues;
}

/** The plan and the Start button. */
export function MoveReview({ plan, values }: MoveReviewProps) {
  return (
    <div class="move-plan" data-bytes={String(plan.bytesTotal)}>
      <p>
        {plan.mode === "live" ? "Live move" : "Offline move"} of domain{" "}
        <strong>{plan.domain}</strong> to <code>{plan.destDir}</code>:{" "}
        {formatBytes(plan.bytesTotal)}{" "}
        to copy{plan.disks.some((d) => d.layers.some((l) => mirrorScansWhole(l.format, l.action)))
          ? " (allocated data; a raw active layer at its whole virtual size, which its mirror scans)"
          : " (allocated data)"}, bandwidth{" "}
        {plan.bandwidthBytes > 0 ? formatRate(plan.bandwidthBytes) : "unlimited"},{" "}
        {plan.pivot === "auto"
          ? "switching by itself when ready"
          : "switching when you press Switch"}.
      </p>
      {plan.mode === "live" && jobOptionWords(plan.tuning).length
        ? <p class="move-tuning">Mirror options: {jobOptionWords(plan.tuning).join(", ")}.</p>
        : null}
      {plan.disks.map((disk) => (
        <section class="move-plan-disk" data-target={disk.target}>
          <h3 class="move-plan-target">
            {disk.target} → <code>{disk.dir}</code>
          </h3>
          <table class="move-files">
            <thead>
              <tr>
                <th scope="col">File now</th>
                <th scope="col">New path</th>
                <th scope="col">Format</th>
                <th scope="col">Bytes</th>
                <th scope="col">How</th>
              </tr>
            </thead>
            <tbody>
              {disk.layers.map((l) => (
                <tr data-from={l.from} data-to={l.to}>
                  <td>
                    <code>{l.from}</code>
                  </td>
                  <td>
                    <code>{l.to}</code>
                  </td>
                  <td>
                    <span class="fmt">{l.format}</span>
                  </td>
                  <td class="move-bytes">
                    {formatBytes(l.bytes)}
                    {mirrorScansWhole(l.format, l.action)
                      ? (
                        <span class="muted">
                          {" "}virtual size: the mirror scans a raw layer whole
                          {l.allocatedBytes !== undefined
                            ? ` (${formatBytes(l.allocatedBytes)} allocated)`
                            : ""}
                        </span>
                      )
                      : null}
                  </td>
                  <td>{ACTION_LABEL[l.action]}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="plan-label">Will run, in order</div>
          <ol class="move-commands">
            {disk.commands.map((cmd) => (
              <li>
                <pre class="command"><code>{cmd.commandLine}</code></pre>
              </li>
            ))}
          </ol>
          <div class="plan-label">Chain afterwards (active first)</div>
          <ol class="chain-after">
            {disk.chainAfter.map((l) => (
              <li>
                <code>{l.path}</code> <span class="fmt">{l.format}</span>
              </li>
            ))}
          </ol>
        </section>
      ))}
      {plan.notes.map((n) => <p class="hint">{n}</p>)}
      <form
        class="move-start-form"
        hx-post={domainMoveUiPath(plan.uuid)}
        hx-target={`#${movesSectionId(plan.uuid)}`}
        hx-swap="outerHTML"
        hx-disable="find button"
      >
        <input type="hidden" name="root" value={values.root} />
        <input type="hidden" name="subfolder" value={values.subfolder} />
        {values.disks.map((d) => <input type="hidden" name="disks" value={d} />)}
        <input type="hidden" name="bandwidthMiB" value={values.bandwidthMiB} />
        <input type="hidden" name="pivot" value={values.pivot} />
        {values.synchronousWrites
          ? <input type="hidden" name="synchronousWrites" value="true" />
          : null}
        <input type="hidden" name="granularity" value={values.granularity} />
        <input type="hidden" name="bufSizeKiB" value={values.bufSizeKiB} />
        <div id={moveStartErrorId(plan.uuid)} class="move-start-error"></div>
        <button type="submit" class="btn btn-primary" data-action="move-start">
          Start the move
        </button>
      </form>
    </div>
  );
}
