/**
 * The security services every test app uses: an in-memory database, fast password hashing, no
 * login slowdown, and a Host allowlist for 127.0.0.1 on the given port (no machine host name,
 * no interface addresses, so the allowlist does not depend on the machine running the tests).
 *
 * @module
 */
import type { Context } from "hono";
import { createSecurity, type SecurityServices } from "../../server/services.ts";
import { type Database, IN_MEMORY, openDatabase } from "../../server/db.ts";
import { allowedHosts } from "../../server/security/host.ts";
import { TEST_ITERATIONS } from "../auth/fixture.ts";

/** Options of {@link testSecurity}. */
export interface TestSecurityOptions {
  /** The port in `Host` (default 8080). */
  port?: number;
  /** An extra machine host name the allowlist accepts. */
  machineHostname?: string;
  now?: () => number;
  /** The client address of a request (default: the connection's). */
  clientAddress?: (c: Context) => string;
  /** A database shared with other services (default: a fresh in-memory one). */
  db?: Database;
}

/** Security services for 127.0.0.1 over a fresh in-memory database (or the one given). */
export function testSecurity(options: TestSecurityOptions = {}): SecurityServices {
  return createSecurity({
    db: options.db ?? openDatabase(IN_MEMORY),
    allowedHosts: allowedHosts({
      listenHost: "127.0.0.1",
      port: options.port ?? 8080,
      machineHostname: options.machineHostname ?? "",
      interfaceAddresses: [],
    }),
    listenHost: "127.0.0.1",
    secureCookie: false,
    passwordIterations: TEST_ITERATIONS,
    now: options.now,
    clientAddress: options.clientAddress,
    loginSleep: () => Promise.resolve(),
  });
}
