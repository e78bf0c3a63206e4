/**
 * One delivery: POST a signed body to one receiver, retried with exponential backoff (by default
 * 1 s, 2 s, 4 s, 8 s between five attempts), each attempt under its own deadline. A 2xx answer
 * delivers; a network error, a timeout, 408, 429 or a 5xx is tried again; any other answer
 * (a redirect, a 4xx) will not change by retrying and ends the delivery at once.
 *
 * @module
 */

/** How deliveries are made; everything that waits is injectable for tests. */
export interface DeliveryOptions {
  /** Attempts in all (default 5). */
  attempts?: number;
  /** Delay before the second attempt, doubled each time (default 1000 ms). */
  baseDelayMs?: number;
  /** Deadline of one attempt (default 10000 ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Waits `ms` or until `signal` aborts (default: a timer). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** One request to send. */
export interface DeliveryRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Aborts the delivery (shutdown): no further attempt. */
  signal: AbortSignal;
}

/** How a delivery ended. */
export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** The last attempt's problem, for the audit log; empty when delivered. */
  error: string;
}

/** The delay before attempt `n + 1` after attempt `n` (1-based) failed. Pure. */
export function backoffMs(n: number, baseDelayMs: number): number {
  return baseDelayMs * 2 ** (n - 1);
}

/** True when an HTTP status is worth another attempt. Pure. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Waits `ms` unless `signal` aborts first. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** One attempt: `null` when delivered, else why not and whether to try again. */
async function attempt(
  request: DeliveryRequest,
  fetcher: typeof fetch,
  timeoutMs: number,
): Promise<{ error: string; retry: boolean } | null> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signal = AbortSignal.any([deadline.signal, request.signal]);
  try {
    const response = await fetcher(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal,
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return null;
    return { error: `HTTP ${response.status}`, retry: retryableStatus(response.status) };
  } catch (e) {
    if (deadline.signal.aborted) return { error: `no answer within ${timeoutMs} ms`, retry: true };
    return { error: (e as Error).message || String(e), retry: true };
  } finally {
    clearTimeout(timer);
  }
}

/** Delivers `request`; see the module doc. Never throws. */
export async function deliver(
  request: DeliveryRequest,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fetcher = options.fetch ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  let error = "";
  for (let n = 1; n <= attempts; n++) {
    if (request.signal.aborted) return { ok: false, attempts: n - 1, error: "blockboard stopped" };
    const failure = await attempt(request, fetcher, timeoutMs);
    if (!failure) return { ok: true, attempts: n, error: "" };
    error = failure.error;
    if (!failure.retry) return { ok: false, attempts: n, error };
    if (n < attempts) await sleep(backoffMs(n, baseDelayMs), request.signal);
  }
  return { ok: false, attempts, error };
}
