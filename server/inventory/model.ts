/**
 * The inventory as blockboard shows it: domains, their disks and each disk's backing chain.
 * These shapes are the JSON API (v1) and the input of the views.
 *
 * @module
 */
import type { Job } from "../jobs/model.ts";

/** A domain's run state, as a person reads it. */
export type DomainState =
  | "running"
  | "blocked"
  | "paused"
  | "shutdown"
  | "shut off"
  | "crashed"
  | "pmsuspended"
  | "no state";

/** virDomainState numbers (domstats `state.state`) as names. Pure. */
export function domainStateName(state: number | null): DomainState {
  switch (state) {
    case 1:
      return "running";
    case 2:
      return "blocked";
    case 3:
      return "paused";
    case 4:
      return "shutdown";
    case 5:
      return "shut off";
    case 6:
      return "crashed";
    case 7:
      return "pmsuspended";
    default:
      return "no state";
  }
}

/** One layer of a backing chain; `chain[0]` is the active (top) layer. */
export interface Layer {
  /** libvirt's `index` attribute (names the layer as `vda[N]`); null when the domain is off. */
  index: number | null;
  /** File or device path (or a description for network sources). */
  path: string;
  /** Format recorded in the domain XML; null when libvirt does not record it (a probe hazard). */
  format: string | null;
  /** Virtual size in bytes, from domstats; null when unknown (domain off). */
  capacity: number | null;
  /** Bytes the layer uses on the host (file size on disk), from domstats; null when unknown. */
  allocation: number | null;
}

/** A `<mirror>` element: the destination of a running copy or active commit. */
export interface Mirror {
  /** Destination file. */
  path: string;
  /** Destination format. */
  format: string | null;
  /** `copy` or `active-commit`. */
  job: string | null;
  /** libvirt's `ready` attribute: `yes`, `abort`, `pivot`, or null when not ready. */
  ready: string | null;
}

/** A disk of a domain. */
export interface Disk {
  /** Target device name (`vda`). */
  target: string;
  /** `disk`, `cdrom`, `floppy`, `lun`. */
  device: string;
  /** Source type: `file`, `block`, `network`, `volume`, `dir`. */
  type: string;
  /** Format of the active layer, from `<driver type>`. */
  format: string | null;
  /** Active layer's path, or null for an empty drive. */
  source: string | null;
  /** Backing chain, top first. */
  chain: Layer[];
  /** A running copy's destination, when libvirt shows one. */
  mirror: Mirror | null;
  /** Problems a person must know about (for example an unrecorded backing format). */
  warnings: string[];
  /** The block job on this disk, or null. Filled in by the job monitor. */
  job: Job | null;
}

/** A libvirt domain. */
export interface Domain {
  name: string;
  uuid: string;
  state: DomainState;
  persistent: boolean;
  disks: Disk[];
}
