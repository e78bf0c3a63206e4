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

/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT, then exits 0 (1 if it threw). A second
 * signal while it runs exits at once.
 */
export function onShutdownSignal(shutdown: (signal: string) => Promise<void>): void {
  let running = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => {
      if (running) Deno.exit(1);
      running = true;
      shutdown(signal).then(
        () => Deno.exit(0),
        (e) => {
          console.error(`blockboard: shutdown failed: ${(e as Error)?.message ?? e}`);
          Deno.exit(1);
        },
      );
    });
  }
}
