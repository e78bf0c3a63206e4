/**
 * A per-host deadline on what a page waits for: the answer, or a sentence after `ms`, never
 * longer. The call itself goes on (its virsh deadline ends it); the page does not wait for it.
 *
 * @module
 */

/** The outcome of {@link withDeadline}. */
export type Timed<T> = { ok: true; value: T } | { ok: false; error: string; timedOut: boolean };

/** Waits for `work` at most `ms` milliseconds. */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
): Promise<Timed<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: `${what} did not answer within ${ms} ms`, timedOut: true }),
      ms,
    );
  });
  try {
    return await Promise.race([
      work.then(
        (value): Timed<T> => ({ ok: true, value }),
        (e): Timed<T> => ({
          ok: false,
          error: e instanceof Error ? e.message : String(e),
          timedOut: false,
        }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
