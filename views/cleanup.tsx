/**
 * Files that left a disk's chain: the note on the outcome card, the confirmation step that lists
 * what a clean-up would delete (and what it refuses, with the reason), and its result. No inline
 * script: Clean up fetches the confirmation, which holds a plain form. Pure.
 *
 * @module
 */
import { hostHref } from "./host_base.ts";
import type { CleanupVerdict, DeletionResult } from "../server/jobs/cleanup.ts";

/** Element id of a disk's clean-up area. */
export function cleanupElementId(uuid: string, target: string): string {
  return `cleanup-${uuid}-${target}`;
}

function cleanupUrl(uuid: string, target: string): string {
  return hostHref(`/ui/domains/${uuid}/disks/${target}/cleanup`);
}

/** Props of {@link LeftChain}. */
export interface LeftChainProps {
  uuid: string;
  target: string;
  /** Files that left the chain. */
  files: readonly string[];
  /** Those already deleted by a clean-up. */
  cleaned?: readonly string[];
  canControl: boolean;
}

/** "These layers left the chain and are still on disk" with a Clean up button. */
export function LeftChain({ uuid, target, files, cleaned = [], canControl }: LeftChainProps) {
  if (files.length === 0) return null;
  const remaining = files.filter((f) => !cleaned.includes(f));
  return (
    <div class="left-chain">
      <p>
        {remaining.length > 0
          ? `${remaining.length} file${remaining.length === 1 ? "" : "s"} left the chain and ${
            remaining.length === 1 ? "is" : "are"
          } still on disk:`
          : "The files that left the chain were deleted:"}
      </p>
      <ul class="left-files">
        {files.map((f) => (
          <li data-path={f}>
            <code>{f}</code>
            {cleaned.includes(f) ? <span class="tag">deleted</span> : null}
          </li>
        ))}
      </ul>
      {remaining.length > 0 && canControl
        ? (
          <button
            type="button"
            class="btn"
            data-action="cleanup"
            hx-get={cleanupUrl(uuid, target)}
            hx-target={`#${cleanupElementId(uuid, target)}`}
            hx-swap="innerHTML"
            hx-disable="this"
          >
            Clean up…
          </button>
        )
        : null}
      <div id={cleanupElementId(uuid, target)} class="cleanup"></div>
    </div>
  );
}

/**
 * Props of {@link CleanupConfirm}: the disk whose left files these are, or (a move's clean-up)
 * the URL the form posts to and the id of the element its answers replace.
 */
export type CleanupConfirmProps =
  & { verdicts: readonly CleanupVerdict[] }
  & ({ uuid: string; target: string } | { at: { url: string; areaId: string } });

/** The confirmation step: what would be deleted, what is refused and why. */
export function CleanupConfirm(props: CleanupConfirmProps) {
  const { verdicts } = props;
  const deletable = verdicts.filter((v) => v.deletable);
  const url = "at" in props ? props.at.url : cleanupUrl(props.uuid, props.target);
  const area = `#${"at" in props ? props.at.areaId : cleanupElementId(props.uuid, props.target)}`;
  return (
    <form
      class="cleanup-confirm"
      hx-post={url}
      hx-target={area}
      hx-swap="innerHTML"
      hx-disable="find button"
    >
      <ul>
        {verdicts.map((v) => (
          <li data-path={v.path} data-deletable={String(v.deletable)}>
            <code>{v.path}</code>: {v.deletable ? "will be deleted" : `kept: ${v.reason}`}
            {v.deletable ? <input type="hidden" name="file" value={v.path} /> : null}
          </li>
        ))}
      </ul>
      {deletable.length > 0
        ? (
          <button type="submit" class="btn btn-danger" data-action="cleanup-confirm">
            Delete {deletable.length} file{deletable.length === 1 ? "" : "s"}
          </button>
        )
        : <p class="muted">Nothing can be deleted.</p>}{" "}
      <button
        type="button"
        class="btn"
        hx-get={`${url}?cancel=1`}
        hx-target={area}
        hx-swap="innerHTML"
      >
        Cancel
      </button>
    </form>
  );
}

/** Props of {@link CleanupResult}. */
export interface CleanupResultProps {
  results: readonly DeletionResult[];
}

/** What the clean-up did, one line per file. */
export function CleanupResult({ results }: CleanupResultProps) {
  return (
    <ul class="cleanup-result" role="status">
      {results.map((r) => (
        <li data-path={r.path} data-deleted={String(r.deleted)}>
          <code>{r.path}</code>: {r.deleted ? "deleted" : `kept: ${r.reason}`}
        </li>
      ))}
    </ul>
  );
}
