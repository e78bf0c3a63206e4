/**
 * Polling with a deadline: tests wait for a condition, never for a guessed number of seconds.
 *
 * @module
 */

/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 20 s). */
  timeoutMs?: number;
  /** Pause between probes (default 100 ms). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than `undefined`, `null` or `false`, and returns
 * that value. A probe that throws is retried; on timeout the error names `what` and carries the
 * last thrown error, so a failing test says what it was waiting for.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  while (true) {
    attempts++;
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, deadline - Date.now()))
    );
  }
  const cause = lastError === undefined
    ? ""
    : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(
    `timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}${cause}`,
    { cause: lastError },
  );
}
