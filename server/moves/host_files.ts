/**
 * Where a storage move is possible: the engine copies, compares and creates layers with qemu-img
 * on THIS machine, so it can only move the domains of a host whose files this machine sees (a
 * local URI: `qemu:///system`, `qemu:///session`, no host part). On any other host the API
 * refuses with this sentence and the pages show it instead of the Move storage form.
 *
 * @module
 */
import { uriHost } from "../migrations/address.ts";

/** Why host `name` (libvirt URI `uri`) cannot move storage, or null when it can. Pure. */
export function movesUnavailable(name: string, uri: string): string | null {
  if (uriHost(uri) === null) return null;
  return `storage moves need the host's files on this machine (blockboard runs qemu-img here), and host ${name} is ${uri}; on host ${name} use a volume copy or a migration instead`;
}
