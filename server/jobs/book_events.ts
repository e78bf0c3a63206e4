/**
 * What one parsed `virsh event` line means for the {@link JobBook}: `block-job-2` ready and
 * terminal statuses (keyed by disk target; the older `block-job` is keyed by path, which changes
 * on a pivot, so it is ignored), and a domain stopping or crashing. Pure: only the book's
 * transitions.
 *
 * @module
 */
import type { VirshEvent } from "../virsh/parse/event.ts";
import { isActivePhase } from "./model.ts";
import type { JobBook } from "./book.ts";

/**
 * Applies one event to the book. Returns true when it is about a job or domain the book does not
 * follow, so a resync should adopt it.
 */
export function applyEvent(book: JobBook, event: VirshEvent): boolean {
  if (event.kind === "block-job") {
    if (event.event !== "block-job-2") return false;
    const uuid = book.names.uuidOf(event.domain);
    if (!uuid) return true;
    const ref = { uuid, target: event.disk };
    if (event.status !== "ready") {
      book.endByEvent(ref, event.status, event.jobTypeName);
      return false;
    }
    const known = book.peek(ref);
    if (!known || !isActivePhase(known.phase)) return true; // a job started elsewhere
    book.markReady(known);
    return false;
  }
  if (event.kind === "lifecycle" && (event.event === "Stopped" || event.event === "Crashed")) {
    const uuid = book.names.uuidOf(event.domain);
    if (uuid) book.interruptDomain(uuid, `the domain stopped (${event.event} ${event.detail})`);
  }
  return false;
}
