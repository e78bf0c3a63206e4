/**
 * Adoption: what blockboard records about a job it finds running but did not start (plain
 * virsh, a terminal line, another tool, or before a restart), and who it says started it. One
 * rule for the resync and for an operation that meets an untracked job. Pure.
 *
 * @module
 */
import type { BlockJobInfo } from "../virsh/parse/blockjob.ts";
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import { STARTED_OUTSIDE, startedFromTerminal } from "./model.ts";

/** A job found running on a disk. */
export interface FoundJob {
  uuid: string;
  /** The domain's name. */
  domain: string;
  /** The disk as the live XML shows it (its chain, its `<mirror>`). */
  disk: XmlDisk;
  /** What `blockjob --info --raw --bytes` said. */
  info: BlockJobInfo;
}

/** A terminal line that starts a job, seen before the job is adopted (to say who started it). */
export interface TerminalClaim {
  /** `--domain` as typed: a name or UUID. */
  domain: string;
  /** `--path` as typed: a target or the active layer's path. */
  path: string;
  user: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** How long a terminal claim waits for its job to be adopted. */
export const CLAIM_TTL_MS = 120_000;

/** The facts of an adopted job: where the mirror goes, its chain, who started it. Pure. */
export function adoptedFacts(found: FoundJob, claim: TerminalClaim | undefined) {
  const { disk, info } = found;
  const mirrorPath = disk.mirror?.path;
  return {
    type: info.type,
    bandwidthBytes: info.bandwidth,
    source: disk.chain[0]?.path,
    chain: disk.chain.map((l) => l.path),
    ...(info.type === "copy" && mirrorPath ? { dest: mirrorPath } : {}),
    ...(info.type === "active-commit" && mirrorPath ? { base: mirrorPath } : {}),
    startedBy: claim ? startedFromTerminal(claim.user) : STARTED_OUTSIDE,
    message: claim
      ? `started from the terminal by ${claim.user}`
      : "started outside blockboard (or before it restarted): times count from when it was first seen",
    ready: disk.mirror?.ready === "yes",
  };
}

/**
 * The index in `claims` of the live claim matching a job found on `found`'s disk (by UUID or
 * name, and by target or active layer), or -1. Pure.
 */
export function matchClaim(claims: readonly TerminalClaim[], found: FoundJob, now: number): number {
  return claims.findIndex((c) =>
    now - c.at < CLAIM_TTL_MS && (c.domain === found.uuid || c.domain === found.domain) &&
    (c.path === found.disk.target || c.path === found.disk.chain[0]?.path)
  );
}

/** Subcommands that start a job. */
const JOB_STARTERS = new Set(["blockcopy", "blockpull", "blockcommit"]);

/** The claim a terminal argv makes (`blockcopy --domain D --path P …`), or null. Pure. */
export function claimOfArgv(
  argv: readonly string[],
  user: string,
  at: number,
): TerminalClaim | null {
  const sub = argv.find((a) => JOB_STARTERS.has(a));
  const valueOf = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const domain = valueOf("--domain");
  const path = valueOf("--path");
  if (!sub || domain === undefined || path === undefined) return null;
  return { domain, path, user, at };
}
