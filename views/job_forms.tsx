/**
 * The forms that start a job on a disk, each with a live preview of the exact virsh command and
 * of the chain the disk will have afterwards. Pure.
 *
 * @module
 */
import type { Disk, Domain } from "../server/inventory/model.ts";
import type { JobPlan } from "../server/jobs/plan.ts";
import { canStartJob } from "../server/jobs/can_start.ts";
import { directoriesOutsideRoots } from "../server/security/storage_roots.ts";
import { baseName } from "./chain.tsx";
import { diskElementId, diskUiPath } from "./job.tsx";
import { copyDestName } from "../server/routes/copy_dest.ts";
import { GRANULARITY_CHOICES } from "../server/jobs/mirror_tuning.ts";
import { formatBytes } from "./format.ts";

/** Element id of a start form's error box. */
export function formErrorId(uuid: string, target: string, op: string): string {
  return `formerr-${uuid}-${target}-${op}`;
}

/**
 * What a start button asks before it runs (none for a copy, which leaves the source alone). The
 * page replaces it with the preview's exact sentence once that has arrived.
 */
export const START_CONFIRM: Readonly<Record<string, string | undefined>> = {
  pull:
    "Start the pull? It copies backing data into the active layer and changes the chain for good; it cannot be undone.",
  commit:
    "Start the commit? It writes data into the base layer and changes the chain for good; it cannot be undone.",
};

/**
 * When a form's preview is asked for: the first time its `<details>` panel opens (`toggle` fires
 * on open and close; the panel starts closed, so `once` means "opened"), then on every change.
 */
export const PREVIEW_TRIGGER =
  "toggle once from:'closest details', input from:'closest form' delay:300ms, change from:'closest form'";

/** Props of {@link StartJobForms}. */
export interface StartJobFormsProps {
  domain: Domain;
  disk: Disk;
  /** Directories copies may be written to (shown as suggestions). */
  storageRoots?: readonly string[];
  /**
   * The destination to offer, probed to be free (server/routes/copy_dest.ts); without it the
   * same name unprobed, for this minute.
   */
  copyDest?: string;
  /** The time the fallback name is made from (tests). */
  now?: Date;
  /**
   * On a host blockboard cannot stat files on: its running storage pools, and the copy form asks
   * for a pool and a new volume's name instead of a path (server/volumes/remote_copy.ts).
   */
  volumePools?: readonly string[] | null;
}

/** Why no job can start on this disk, or null when one can (the rule of `can_start.ts`). */
export function cannotStartReason(domain: Domain, disk: Disk): string | null {
  return canStartJob(domain, disk)?.message ?? null;
}

/** Pull, copy and commit forms, folded away until asked for. */
export function StartJobForms(
  { domain, disk, storageRoots = [], copyDest, now, volumePools }: StartJobFormsProps,
) {
  const reason = cannotStartReason(domain, disk);
  if (reason) return <p class="muted start-disabled">{reason}</p>;
  const ui = diskUiPath(domain.uuid, disk.target);
  const target = `#${diskElementId(domain.uuid, disk.target)}`;
  const backing = disk.chain.slice(1);
  const top = disk.chain[0];
  const dest = copyDest ?? copyDestName(domain, disk, storageRoots, now ?? new Date());
  const formAttrs = (op: string) => ({
    "hx-post": `${ui}/${op}`,
    "hx-target": target,
    "hx-swap": "outerHTML",
    "hx-disable": "find button",
    // Pull and commit rewrite images for good: ask first. static/app.js puts the preview's own
    // sentence (what exactly changes) in place of this generic one.
    "hx-confirm": START_CONFIRM[op],
    class: `start-form start-${op}`,
    "data-op": op,
  });
  // The preview describes the form's state number `previewSeq`; static/app.js bumps it on every
  // change, drops answers for older numbers and keeps Start disabled until the answer for the
  // current one is shown. hx-sync="replace": a new preview request aborts the one in flight
  // (htmx 4's default queue would drop the newest and answer with an older state). The first
  // preview is asked for when the panel opens, not on load: a page of closed panels asks nothing.
  const preview = (op: string) => (
    <>
      <input type="hidden" name="previewSeq" value="0" />
      <div
        class="preview"
        data-preview={op}
        hx-post={`${ui}/preview/${op}`}
        hx-trigger={PREVIEW_TRIGGER}
        hx-include="closest form"
        hx-swap="innerHTML"
        hx-sync="replace"
        aria-live="polite"
      >
      </div>
      <p class="preview-status muted" aria-hidden="true">updating the preview…</p>
    </>
  );
  return (
    <details class="start-jobs">
      <summary>Start a block job on {disk.target}…</summary>
      <div class="start-grid">
        {volumePools
          ? (
            <VolumeCopyForm
              attrs={formAttrs("copy")}
              pools={volumePools}
              volume={baseName(dest)}
              disk={disk}
              errorId={formErrorId(domain.uuid, disk.target, "copy")}
            />
          )
          : (
            <form {...formAttrs("copy")}>
              <h4>Copy (mirror) to a new file</h4>
              <label>
                Destination (absolute path)
                <input
                  name="dest"
                  type="text"
                  required
                  spellcheck={false}
                  autocomplete="off"
                  value={dest}
                />
              </label>
              {storageRoots.length
                ? <p class="hint">Allowed directories: {storageRoots.join(", ")}</p>
                : null}
              <NotStorageRoots paths={backing.map((l) => l.path)} roots={storageRoots} />
              <label>
                Format
                <select name="format">
                  <option value="qcow2" selected={disk.format !== "raw"}>qcow2</option>
                  <option value="raw" selected={disk.format === "raw"}>raw</option>
                </select>
              </label>
              <label class="check">
                <input
                  type="checkbox"
                  name="shallow"
                  value="true"
                  disabled={backing.length === 0}
                />
                shallow: copy only the active layer; the copy keeps the current backing file
              </label>
              <label class="check">
                <input type="checkbox" name="reuseExternal" value="true" />
                reuse external: the destination already exists (you made it); its format must be
                stated
              </label>
              <BandwidthInput />
              <MirrorTuningInputs />
              {domain.persistent
                ? (
                  <p class="hint">
                    This domain is persistent, so the copy runs as a transient job (<code>
                      --transient-job
                    </code>): if the domain or libvirtd restarts mid-copy the job is lost and must
                    be started again. After a pivot libvirt also updates the saved definition.
                  </p>
                )
                : null}
              {preview("copy")}
              <div class="form-error" id={formErrorId(domain.uuid, disk.target, "copy")}></div>
              <button type="submit" class="btn btn-primary">Start copy</button>
            </form>
          )}

        <form {...formAttrs("pull")}>
          <h4>Pull backing data into {baseName(top.path)}</h4>
          {backing.length === 0 ? <p class="muted">No backing layers: nothing to pull.</p> : (
            <label>
              Pull down to
              <select name="base">
                <option value="">everything (flatten the chain)</option>
                {backing.slice(0, -1).map((l) => (
                  <option value={l.path}>keep {baseName(l.path)} and below</option>
                ))}
              </select>
            </label>
          )}
          <BandwidthInput />
          {backing.length > 1 ? <KeepRelativeInput /> : null}
          {backing.length ? preview("pull") : null}
          <div class="form-error" id={formErrorId(domain.uuid, disk.target, "pull")}></div>
          <button type="submit" class="btn btn-primary" disabled={backing.length === 0}>
            Start pull
          </button>
        </form>

        <form {...formAttrs("commit")}>
          <h4>Commit layers down into a base</h4>
          {backing.length === 0
            ? <p class="muted">No backing layers: nothing to commit into.</p>
            : (
              <>
                <label>
                  Top (commit from)
                  <select name="top">
                    {disk.chain.slice(0, -1).map((l, i) => (
                      <option value={l.path} selected={i === 0}>
                        {baseName(l.path)}
                        {i === 0 ? " (active: an active commit, ends with a pivot)" : ""}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Base (commit into)
                  <select name="base">
                    {backing.map((l, i) => (
                      <option value={l.path} selected={i === backing.length - 1}>
                        {baseName(l.path)}
                      </option>
                    ))}
                  </select>
                </label>
              </>
            )}
          <BandwidthInput />
          {backing.length
            ? (
              <>
                <KeepRelativeInput />
                <label class="check">
                  <input type="checkbox" name="delete" value="true" />
                  delete the committed layers once the commit succeeded (refused while another
                  domain uses one of them)
                </label>
              </>
            )
            : null}
          {backing.length ? preview("commit") : null}
          <div class="form-error" id={formErrorId(domain.uuid, disk.target, "commit")}></div>
          <button type="submit" class="btn btn-primary" disabled={backing.length === 0}>
            Start commit
          </button>
        </form>
      </div>
    </details>
  );
}

/** Directories of this disk's backing files that are not storage roots, and how to allow them. */
function NotStorageRoots({ paths, roots }: { paths: string[]; roots: readonly string[] }) {
  const outside = roots.length ? directoriesOutsideRoots(paths, roots) : [];
  if (!outside.length) return null;
  return (
    <p class="hint not-storage-root">
      Not a storage root: {outside.join(", ")}{" "}
      (this disk's backing files only; blockboard never writes there, and a reused destination may
      not be backed from there, unless started with <code>--storage-root</code> for it)
    </p>
  );
}

/** Props of {@link VolumeCopyForm}. */
interface VolumeCopyFormProps {
  attrs: Record<string, unknown>;
  pools: readonly string[];
  /** The volume name to offer. */
  volume: string;
  disk: Disk;
  errorId: string;
}

/**
 * The copy form of a host whose files blockboard cannot stat: a pool and a new volume's name.
 * No preview (it would read local files); the Start answer shows the command that ran.
 */
function VolumeCopyForm({ attrs, pools, volume, disk, errorId }: VolumeCopyFormProps) {
  const backing = disk.chain.length > 1;
  return (
    <form {...attrs} data-volume-copy="">
      <h4>Copy (mirror) into a new volume</h4>
      <label>
        Storage pool
        <select name="pool" required>
          {pools.map((p) => <option value={p}>{p}</option>)}
        </select>
      </label>
      {pools.length === 0
        ? (
          <p class="muted">
            This host has no running storage pool to create the copy in. Define one (virsh
            pool-define-as NAME dir --target DIR; virsh pool-start NAME).
          </p>
        )
        : null}
      <label>
        New volume name
        <input name="volume" type="text" required spellcheck={false} value={volume} />
      </label>
      <label>
        Format
        <select name="format">
          <option value="qcow2" selected={disk.format !== "raw"}>qcow2</option>
          <option value="raw" selected={disk.format === "raw"}>raw</option>
        </select>
      </label>
      <label class="check">
        <input type="checkbox" name="shallow" value="true" disabled={!backing} />
        shallow: copy only the active layer over the current backing file (a volume of a pool)
      </label>
      <BandwidthInput />
      <p class="hint">
        blockboard creates the volume (explicit format, the disk's virtual size) and copies into it;
        a copy that ends before it is ready deletes the volume again.
      </p>
      <div class="form-error" id={errorId}></div>
      <button type="submit" class="btn btn-primary" disabled={pools.length === 0}>
        Start copy
      </button>
    </form>
  );
}

function BandwidthInput() {
  return (
    <label>
      Bandwidth limit, MiB/s (empty or 0: none)
      <input name="bandwidthMiB" type="number" min="0" step="any" inputmode="decimal" />
    </label>
  );
}

/**
 * `--synchronous-writes`, `--granularity`, `--buf-size` of a copy or a move (see
 * mirror_tuning.ts; the fields `synchronousWrites`, `granularity`, `bufSizeKiB` of job_inputs.ts).
 */
export function MirrorTuningInputs() {
  return (
    <>
      <label class="check">
        <input type="checkbox" name="synchronousWrites" value="true" />
        synchronous writes: guest writes reach the source and the copy before they complete, so a
        busy disk still converges (the guest's writes get as slow as the destination)
      </label>
      <details class="tuning">
        <summary>Mirror tuning</summary>
        <label>
          Granularity (dirty-bitmap chunk)
          <select name="granularity">
            <option value="" selected>default (libvirt chooses)</option>
            {GRANULARITY_CHOICES.map((g) => <option value={String(g)}>{formatBytes(g)}</option>)}
          </select>
        </label>
        <label>
          Buffer, KiB in flight (empty: QEMU's default)
          <input name="bufSizeKiB" type="number" min="1" max="1048576" step="1" />
        </label>
      </details>
    </>
  );
}

function KeepRelativeInput() {
  return (
    <label class="check">
      <input type="checkbox" name="keepRelative" value="true" />
      keep relative: backing file names stay relative (needs a chain with relative names)
    </label>
  );
}

/** Props of {@link PlanPreview}. */
export interface PlanPreviewProps {
  plan: JobPlan | null;
  /** Why the input cannot run, instead of a plan. */
  error?: string | null;
  /** The form state this preview describes (echoed `previewSeq`). */
  seq?: string;
}

/**
 * The question to ask before starting `plan`, naming what changes for good; null for a copy
 * (the source is not touched). Pure.
 */
export function confirmQuestion(plan: JobPlan): string | null {
  if (plan.type === "copy") return null;
  const what = plan.type === "pull" ? "pull" : "commit";
  const changed = plan.type === "pull" ? plan.chainAfter[0]?.path : plan.base;
  return [
    `Start the ${what}? ${changed ?? "The image"} changes for good; this cannot be undone.`,
    ...plan.notes,
    `Chain afterwards: ${plan.chainAfter.map((l) => l.path).join(" ← ")}`,
  ].join("\n\n");
}

/** The command that will run and the chain afterwards. */
export function PlanPreview({ plan, error, seq }: PlanPreviewProps) {
  if (error) {
    return (
      <p class="error-message" data-seq={seq}>
        {error}
      </p>
    );
  }
  if (!plan) return null;
  return (
    <div class="plan" data-seq={seq} data-confirm={confirmQuestion(plan) ?? undefined}>
      <div class="plan-label">Will run</div>
      <pre class="command"><code>{plan.commandLine}</code></pre>
      <div class="plan-label">Chain afterwards (active first)</div>
      <ol class="chain-after">
        {plan.chainAfter.map((l) => (
          <li>
            <code>{l.path}</code> <span class="fmt">{l.format ?? "?"}</span>
          </li>
        ))}
      </ol>
      {plan.notes.map((n) => <p class="hint">{n}</p>)}
    </div>
  );
}
