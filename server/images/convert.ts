/**
 * Runs a long `qemu-img convert -p` (see `convertLayerArgs`): no deadline (a rate-limited copy of
 * a large layer takes as long as it takes), progress read from its `(NN.NN/100%)` lines as they
 * come, and an abort signal that kills its whole process group (setsid), so a canceled move
 * leaves no writer behind.
 *
 * @module
 */
import { QemuImgError } from "./errors.ts";
import { hasExplicitFormat } from "./commands.ts";
import { killProcessGroup, spawnInOwnGroup } from "../process_group.ts";

/** The fraction (0..1) in the last `(NN.NN/100%)` of a chunk of `-p` output, or null. Pure. */
export function lastProgress(chunk: string): number | null {
  const all = [...chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)];
  const last = all.at(-1);
  if (!last) return null;
  return Math.min(1, Math.max(0, Number(last[1]) / 100));
}

/** Options of {@link runConvert}. */
export interface ConvertOptions {
  /** Called with the fraction done whenever qemu-img reports progress. */
  onProgress?: (fraction: number) => void;
  /** Aborting kills qemu-img; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Binary (default `qemu-img`). */
  binary?: string;
}

/** Runs `qemu-img ...args` to the end; rejects with {@link QemuImgError} unless it exits 0. */
export async function runConvert(args: readonly string[], options: ConvertOptions = {}) {
  const argv = [...args];
  if (argv[0] !== "convert" || !hasExplicitFormat(argv)) {
    throw new QemuImgError({
      argv,
      code: null,
      stderr: "",
      kind: "invalid",
      message: "runConvert runs qemu-img convert with an explicit -f only",
    });
  }
  options.signal?.throwIfAborted();
  const child = spawnInOwnGroup(
    options.binary ?? "qemu-img",
    argv,
    () => new QemuImgError({ argv, code: null, stderr: "", kind: "missing-binary" }),
  );
  const kill = () => killProcessGroup(child);
  options.signal?.addEventListener("abort", kill, { once: true });
  const decoder = new TextDecoder();
  const readProgress = (async () => {
    for await (const chunk of child.stdout) {
      const fraction = lastProgress(decoder.decode(chunk, { stream: true }));
      if (fraction !== null) options.onProgress?.(fraction);
    }
  })();
  const stderrText = new Response(child.stderr).text();
  try {
    const [status, stderr] = await Promise.all([child.status, stderrText, readProgress]).then((
      [s, e],
    ) => [s, e] as const);
    options.signal?.throwIfAborted();
    if (status.code !== 0) throw new QemuImgError({ argv, code: status.code, stderr });
  } finally {
    options.signal?.removeEventListener("abort", kill);
  }
}
