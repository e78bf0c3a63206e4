/**
 * Parser for `virsh event --all --loop [--timestamp]` lines.
 *
 * @module
 */

/** Block job statuses libvirt reports in events. */
export type BlockJobEventStatus = "completed" | "failed" | "canceled" | "ready";

/** A parsed event line. */
export type VirshEvent =
  | {
    kind: "block-job";
    /** `block-job-2` (keyed by disk target) or `block-job` (keyed by disk path). */
    event: "block-job-2" | "block-job";
    domain: string;
    /** e.g. `Block Copy`, `Active Block Commit`. */
    jobTypeName: string;
    /** Disk target for `block-job-2`, path for `block-job`. */
    disk: string;
    status: BlockJobEventStatus;
    /** From `--timestamp`, else null. */
    timestamp: Date | null;
  }
  | {
    kind: "lifecycle";
    domain: string;
    /** e.g. `Stopped`, `Started`, `Undefined`. */
    event: string;
    /** e.g. `Destroyed`, `Booted`. */
    detail: string;
    timestamp: Date | null;
  }
  | {
    kind: "other";
    /** The event name between the first quotes. */
    event: string;
    domain: string | null;
    text: string;
    timestamp: Date | null;
  };

/**
 * Parses one line of `virsh event` output. `knownNames` (from `virsh list`) resolves domain names
 * that contain quotes. Returns null for lines that are not events (`events received: N`, blank). Pure.
 */
export function parseEventLine(_line: string, _knownNames?: readonly string[]): VirshEvent | null {
  throw new Error("not implemented");
}
