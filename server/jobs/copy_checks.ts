/**
 * The destination checks of a copy, for the preview and for Start alike: the copy-destination
 * rule (server/security/destinations.ts) and, for a reused destination, the chain its header
 * names (see `reused_destination.ts`). What comes back includes the check to repeat
 * synchronously right before virsh runs.
 *
 * @module
 */
import type { QemuImgRunner } from "../images/runner.ts";
import { checkCopyDestination } from "../security/destinations.ts";
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import { describeChain } from "./chain_match.ts";
import { JobInputError } from "./errors.ts";
import type { CopyInput, JobPlan } from "./plan.ts";
import { fileIdentity, inspectReusedDestination } from "./reused_destination.ts";

/** A plan whose destination passed its checks, and the last check to repeat before running. */
export interface CheckedPlan {
  plan: JobPlan;
  /** Repeats the destination checks synchronously, right before the virsh call. */
  recheck: () => void;
}

/** What the checks need besides the plan. */
export interface CopyCheckDeps {
  qemuImg: QemuImgRunner;
  /** Storage roots; null: no root restriction, the other destination checks still apply. */
  roots: readonly string[] | null;
}

/** Checks a planned copy's destination; the returned plan shows the chain its header gives. */
export async function checkCopy(
  { disk, input, plan }: { disk: XmlDisk; input: CopyInput; plan: JobPlan },
  deps: CopyCheckDeps,
): Promise<CheckedPlan> {
  const dest = plan.dest!;
  const reuseExternal = input.reuseExternal === true;
  const checkPlace = () => checkCopyDestination(dest, { reuseExternal, roots: deps.roots });
  checkPlace();
  if (!reuseExternal) return { plan, recheck: checkPlace };
  const inspected = await inspectReusedDestination(
    {
      dest,
      format: plan.format!,
      disk,
      shallow: input.shallow === true,
      expectedBacking: input.expectedBacking,
    },
    deps,
  );
  return {
    plan: {
      ...plan,
      chainAfter: inspected.chain.map((l) => ({ path: l.path, format: l.format })),
      notes: [
        ...plan.notes,
        `the chain afterwards is what ${dest}'s own header says (read with -f ${plan.format}): ${
          describeChain(inspected.chain)
        }`,
      ],
    },
    recheck: () => {
      checkPlace();
      if (fileIdentity(dest) !== inspected.identity) {
        throw new JobInputError("dest", "was replaced after its header was read");
      }
    },
  };
}
