/**
 * What an operation reads before it acts — the domain's live XML, its state and whether it is
 * persistent (three calls in parallel) — and the mapping of virsh failures that are really state
 * conflicts or unknown names to the typed errors the API answers with.
 *
 * @module
 */
import { domStateArgs, dumpXmlArgs, listPersistentArgs } from "../virsh/commands.ts";
import { VirshError } from "../virsh/errors.ts";
import { type DomainXml, parseDomainXml, type XmlDisk } from "../virsh/parse/domxml.ts";
import { parseUuidList } from "../virsh/parse/list.ts";
import type { VirshRunner } from "../virsh/runner.ts";
import type { DiskRef } from "./book.ts";
import { jobsPossibleIn } from "./can_start.ts";
import { JobConflictError, NotFoundError } from "./errors.ts";

/** The domain and disk an operation acts on, as read just before. */
export interface DiskContext {
  xml: DomainXml;
  disk: XmlDisk;
  /** `domstate`'s word (`running`, `paused`, `idle`, …). */
  state: string;
  persistent: boolean;
}

/**
 * Reads the disk's context; {@link NotFoundError} for a disk the domain does not have and, with
 * `requireRunning` (default), {@link JobConflictError} `not-running` when the domain cannot run
 * block jobs (the rule of `can_start.ts`).
 */
export async function readDiskContext(
  runner: VirshRunner,
  ref: DiskRef,
  opts: { requireRunning?: boolean } = {},
): Promise<DiskContext> {
  let xml: DomainXml;
  let state: string;
  let persistent: boolean;
  try {
    const [xmlOut, stateOut, persistentOut] = await Promise.all([
      runner.run(dumpXmlArgs(ref.uuid)),
      runner.run(domStateArgs(ref.uuid)),
      runner.run(listPersistentArgs()),
    ]);
    xml = parseDomainXml(xmlOut.stdout);
    state = stateOut.stdout.trim().split("\n")[0].trim();
    persistent = parseUuidList(persistentOut.stdout).includes(ref.uuid);
  } catch (e) {
    throw mapVirshError(e);
  }
  const disk = xml.disks.find((d) => d.target === ref.target);
  if (!disk) throw new NotFoundError(`domain ${xml.name} has no disk ${ref.target}`);
  if ((opts.requireRunning ?? true) && !jobsPossibleIn(state)) {
    throw new JobConflictError(
      "not-running",
      `domain ${xml.name} is ${state}; block jobs need a running domain`,
    );
  }
  return { xml, disk, state, persistent };
}

/**
 * Maps virsh failures that are really state conflicts or unknown names to the typed errors;
 * everything else passes through as {@link VirshError} (502, or 503 when unreachable).
 */
export function mapVirshError(e: unknown): unknown {
  if (!(e instanceof VirshError)) return e;
  switch (e.kind) {
    case "busy":
      return new JobConflictError("job-exists", e.message);
    case "no-job":
      return new JobConflictError("no-job", e.message);
    case "not-ready":
      return new JobConflictError("not-ready", e.message);
    case "not-running":
      return new JobConflictError("not-running", e.message);
    case "not-found":
      return new NotFoundError(e.message);
    default:
      return e;
  }
}
