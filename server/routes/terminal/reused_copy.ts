/**
 * A terminal `blockcopy --reuse-external` gets the same header check as the dashboard's copy:
 * libvirt and QEMU follow the pre-created destination's own header, so a destination with no
 * backing file (a shallow copy would drop the guest's backing data) or one naming a host file
 * (`/etc/shadow`, `../../..`) is refused before virsh runs.
 *
 * @module
 */
import type { CheckedCommand } from "../../terminal/allowlist.ts";
import type { VirshRunner } from "../../virsh/runner.ts";
import { dumpXmlArgs } from "../../virsh/commands.ts";
import { isCopyFormat } from "../../virsh/values.ts";
import { parseDomainXml } from "../../virsh/parse/domxml.ts";
import type { ListedDomain } from "../../virsh/parse/list.ts";
import type { QemuImgRunner } from "../../images/runner.ts";
import { inspectReusedDestination } from "../../jobs/reused_destination.ts";
import { JobInputError } from "../../jobs/errors.ts";

/** What the check reads: the domain's live XML (by UUID) and the destination's headers. */
export interface ReusedCopyDeps {
  runner: VirshRunner;
  /** Name or UUID → the listed domain (the inventory snapshot; no virsh call when warm). */
  resolve: (nameOrUuid: string) => Promise<ListedDomain | null>;
  qemuImg: QemuImgRunner;
  roots: readonly string[] | null;
}

/** The value of `--name VALUE` in a checked argv, or undefined. */
function optionValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * Why a checked `blockcopy --reuse-external` line must not run, or null when it may (and for
 * every other line). The allowlist has already required an explicit format and applied the
 * destination placement rule.
 */
export async function reusedCopyProblem(
  checked: CheckedCommand,
  deps: ReusedCopyDeps,
): Promise<string | null> {
  const argv = checked.argv;
  if (checked.subcommand !== "blockcopy" || !argv.includes("--reuse-external")) return null;
  const dest = optionValue(argv, "dest");
  const format = argv.includes("--raw") ? "raw" : optionValue(argv, "format");
  if (!dest || !format || !isCopyFormat(format) || !checked.domain || !checked.disk) {
    return "blockcopy --reuse-external needs --domain, --path, --dest and --format (or --raw)";
  }
  const listed = await deps.resolve(checked.domain);
  if (!listed) return `no domain named ${JSON.stringify(checked.domain)}`;
  const xml = parseDomainXml((await deps.runner.run(dumpXmlArgs(listed.uuid))).stdout);
  const disk = xml.disks.find((d) =>
    d.target === checked.disk || d.chain[0]?.path === checked.disk
  );
  if (!disk) return `domain ${listed.name} has no disk ${checked.disk}`;
  try {
    await inspectReusedDestination(
      { dest, format, disk, shallow: argv.includes("--shallow") },
      { qemuImg: deps.qemuImg, roots: deps.roots },
    );
    return null;
  } catch (e) {
    if (e instanceof JobInputError) return `--dest ${dest}: ${e.reason}`;
    throw e;
  }
}
