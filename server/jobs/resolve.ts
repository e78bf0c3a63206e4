/**
 * Deciding how a job ended when it vanished from `blockjob --info` without a terminal event
 * (events lost while libvirtd restarted, or the listener was down): the live XML's chain tells
 * what happened, or the job is `unknown` and the message says what to check. Pure.
 *
 * @module
 */
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import type { JobPhase, JobType } from "./model.ts";

/** What the monitor knew about the job before it vanished. */
export interface VanishedJobFacts {
  type: JobType;
  target: string;
  dest?: string;
  base?: string;
  top?: string;
  /** Active layer when the job started / was first seen. */
  source?: string;
  /** Chain paths (top first) when the job started / was first seen. */
  chainAtStart?: readonly string[];
}

/** The decision. */
export interface VanishedDecision {
  phase: Extract<JobPhase, "completed" | "pivoted" | "unknown">;
  /** Why, in words an operator can act on. */
  message: string;
}

function describeChain(disk: XmlDisk): string {
  return disk.chain.map((l) => l.path).join(" ← ") || "(empty)";
}

/** Decides the end of a vanished job from the disk's live XML (null: the disk is gone). Pure. */
export function decideVanished(job: VanishedJobFacts, disk: XmlDisk | null): VanishedDecision {
  const prefix = "The job ended without an end event (events are lost while libvirt restarts)";
  if (!disk) {
    return {
      phase: "unknown",
      message:
        `${prefix}, and disk ${job.target} is no longer in the domain. Check the domain's XML.`,
    };
  }
  const chain = disk.chain.map((l) => l.path);
  const active = chain[0];
  const now = `The chain now reads: ${describeChain(disk)}.`;
  const startLength = job.chainAtStart?.length;
  switch (job.type) {
    case "copy":
      if (job.dest && active === job.dest) {
        return { phase: "pivoted", message: `${prefix}; the domain runs on the copy. ${now}` };
      }
      return {
        phase: "unknown",
        message:
          `${prefix}; the domain still runs on ${active}, so the copy was aborted, canceled ` +
          `or failed. ${job.dest ?? "The copy"} may be incomplete: compare it with the source ` +
          `(qemu-img compare) before using it. ${now}`,
      };
    case "active-commit":
      if (job.base && active === job.base) {
        return { phase: "pivoted", message: `${prefix}; the domain runs on the base. ${now}` };
      }
      return {
        phase: "unknown",
        message: `${prefix}; the domain still runs on ${active}, so the commit was aborted or ` +
          `failed. The chain still reads the same. ${now}`,
      };
    case "pull":
      if (job.base ? chain[1] === job.base : chain.length === 1) {
        return {
          phase: "completed",
          message: `${prefix}; the chain is shorter as a pull leaves it. ${now}`,
        };
      }
      if (startLength !== undefined && !job.base && chain.length < startLength) {
        return { phase: "completed", message: `${prefix}; the chain is shorter. ${now}` };
      }
      return {
        phase: "unknown",
        message: `${prefix}; the chain was not shortened, so the pull was canceled or failed ` +
          `(harmless: the chain still reads the same). ${now}`,
      };
    case "commit":
      if (
        job.top ? !chain.includes(job.top) : startLength !== undefined && chain.length < startLength
      ) {
        return {
          phase: "completed",
          message: `${prefix}; the committed layer left the chain. ${now}`,
        };
      }
      return {
        phase: "unknown",
        message: `${prefix}; the committed layer is still in the chain, so the commit was ` +
          `canceled or failed. ${now}`,
      };
    default:
      return { phase: "unknown", message: `${prefix}. ${now}` };
  }
}
