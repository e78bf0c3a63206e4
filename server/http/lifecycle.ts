/**
 * Start-up and shutdown details of the server process: the sentence for an address that cannot be
 * bound, and one graceful shutdown on SIGTERM or SIGINT.
 *
 * @module
 */

/** How long requests in flight (and event streams) get before shutdown cuts them. */
export const SHUTDOWN_GRACE_MS = 5_000;

/** One sentence for a failure to listen on `host:port` (no stack trace). */
export function listenFailure(host: string, port: number, e: unknown): string {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (e instanceof Deno.errors.AddrInUse) {
    return `cannot listen on ${where}: the address is already in use (another blockboard, or ` +
      `another server on port ${port}?); choose another with --port.`;
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges).`;
  }
  if (e instanceof Deno.errors.AddrNotAvailable) {
    return `cannot listen on ${where}: this machine has no such address.`;
  }
  return `cannot listen on ${where}: ${(e as Error)?.message ?? e}.`;
}

/** The shutdown work registered so far; {@link set} replaces it as more of the server starts. */
export interface ShutdownHook {
  set(shutdown: (signal: string) => Promise<void>): void;
}

/**
 * Hooks SIGTERM and SIGINT now. On the first one, runs the work last {@link ShutdownHook.set}
 * (nothing yet: exit at once) and exits 0 (1 if it threw); a second signal while it runs exits
 * at once.
 */
export function onShutdownSignal(): ShutdownHook {
  let work: (signal: string) => Promise<void> = () => Promise.resolve();
  let running = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => {
      if (running) Deno.exit(1);
      running = true;
      work(signal).then(
        () => Deno.exit(0),
        (e) => {
          console.error(`blockboard: shutdown failed: ${(e as Error)?.message ?? e}`);
          Deno.exit(1);
        },
      );
    });
  }
  return { set: (shutdown) => work = shutdown };
}
