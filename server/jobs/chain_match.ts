/**
 * Comparing chains layer by layer: a reused copy destination's own chain against the one the copy
 * needs, and the chain libvirt reports after a pivot against the planned one. Layers are compared
 * by the file they resolve to (libvirt shows a relative backing name as `dir/../x.qcow2`) and by
 * format. Pure.
 *
 * @module
 */

/** A layer and the file it resolves to (null when it could not be resolved). */
export interface ResolvedLayer {
  path: string;
  realPath: string | null;
  format: string | null;
}

function sameFile(a: ResolvedLayer, b: ResolvedLayer): boolean {
  if (a.realPath !== null && b.realPath !== null) return a.realPath === b.realPath;
  return a.path === b.path;
}

function describe(layer: ResolvedLayer): string {
  const real = layer.realPath !== null && layer.realPath !== layer.path
    ? ` (= ${layer.realPath})`
    : "";
  return `${layer.path}${real} [${layer.format ?? "format not recorded"}]`;
}

/** A chain as one line, top first. */
export function describeChain(chain: readonly ResolvedLayer[]): string {
  return chain.length ? chain.map(describe).join(" → ") : "(nothing)";
}

/**
 * Why a reused destination (its chain as its headers say, top first) does not fit the copy, or
 * null. A shallow copy keeps the disk's backing layers, so the destination must be backed by
 * exactly them (same files, same formats, in order); a full copy writes every layer's data into
 * the destination, so it must have no backing file (else the guest would also read whatever that
 * file holds wherever the copy leaves holes).
 */
export function reusedDestinationProblem(
  dest: readonly ResolvedLayer[],
  diskBacking: readonly ResolvedLayer[],
  shallow: boolean,
): string | null {
  const top = dest[0]?.path ?? "the destination";
  const backing = dest.slice(1);
  if (!shallow) {
    if (backing.length === 0) return null;
    return `${top} has a backing file (${
      describeChain(backing)
    }); a full copy needs a destination without one (qemu-img create -f qcow2 ${top} SIZE)`;
  }
  if (diskBacking.length > 0 && backing.length === 0) {
    return `${top} has no backing file: a shallow copy into it would leave the guest without everything below its top layer (${
      describeChain(diskBacking)
    }). Create it backed by the disk's backing layer: qemu-img create -f qcow2 -b ${
      diskBacking[0].path
    } -F ${diskBacking[0].format} ${top}`;
  }
  for (let i = 0; i < Math.max(backing.length, diskBacking.length); i++) {
    const got = backing[i];
    const want = diskBacking[i];
    if (!got || !want || !sameFile(got, want) || got.format !== want.format) {
      return `the backing chain of ${top} is not the disk's: its layer ${i + 1} below the top is ${
        got ? describe(got) : "missing"
      }, the disk's is ${
        want ? describe(want) : "none"
      }. A shallow copy must be backed by the disk's own backing chain (${
        describeChain(diskBacking)
      })`;
    }
  }
  return null;
}

/**
 * How the chain libvirt reports (top first) differs from the planned one, or null when every
 * layer is the planned file in the planned format.
 */
export function chainMismatch(
  planned: readonly ResolvedLayer[],
  actual: readonly ResolvedLayer[],
): string | null {
  for (let i = 0; i < Math.max(planned.length, actual.length); i++) {
    const want = planned[i];
    const got = actual[i];
    if (!want || !got || !sameFile(got, want) || got.format !== want.format) {
      const where = i === 0 ? "the active layer" : `layer ${i} below the top`;
      return `${where} is ${got ? describe(got) : "missing"}, planned ${
        want ? describe(want) : "nothing"
      }`;
    }
  }
  return null;
}
