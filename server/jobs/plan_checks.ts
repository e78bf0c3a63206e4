/**
 * The planner's input checks, each a {@link JobInputError} naming the field: a chain blockboard
 * will run a job on (file or block, formats recorded, absolute paths, an end libvirt describes),
 * a clean path and a bandwidth (the rules of server/virsh/values.ts). Pure.
 *
 * @module
 */
import type { XmlDisk } from "../virsh/parse/domxml.ts";
import { bandwidthBytesSchema, firstIssue, hostPathSchema } from "../virsh/values.ts";
import { JobInputError } from "./errors.ts";

/** Refuses disks whose chain would make libvirt or QEMU probe a format or follow a stray path. */
export function assertSafeChain(disk: XmlDisk): void {
  if (disk.type !== "file" && disk.type !== "block") {
    throw new JobInputError(
      "target",
      `disk ${disk.target} is a ${disk.type} disk; blockboard runs jobs on file and block disks only`,
    );
  }
  if (disk.chain.length === 0) {
    throw new JobInputError("target", `disk ${disk.target} has no medium`);
  }
  for (const layer of disk.chain) {
    if (layer.format === null) {
      throw new JobInputError(
        "target",
        `the format of ${layer.path} is not recorded in the domain XML; blockboard refuses chains it would have to probe`,
      );
    }
    if (layer.path.startsWith("json:") || !layer.path.startsWith("/")) {
      throw new JobInputError("target", `unsupported layer reference in the chain: ${layer.path}`);
    }
  }
  if (disk.chainOpenEnded) {
    throw new JobInputError(
      "target",
      "libvirt does not describe the end of this disk's backing chain; blockboard refuses chains it cannot see whole",
    );
  }
}

/** Validates a path input (see {@link hostPathSchema}) as a {@link JobInputError}. Pure. */
export function assertCleanPath(field: string, path: unknown): asserts path is string {
  const r = hostPathSchema.safeParse(path);
  if (!r.success) throw new JobInputError(field, firstIssue(r.error));
}

/** Validates a bandwidth input (see {@link bandwidthBytesSchema}) as a {@link JobInputError}. Pure. */
export function assertBandwidth(value: unknown): asserts value is number | undefined {
  if (value === undefined) return;
  const r = bandwidthBytesSchema.safeParse(value);
  if (!r.success) throw new JobInputError("bandwidthBytes", firstIssue(r.error));
}
