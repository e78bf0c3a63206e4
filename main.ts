/**
 * Starts blockboard: `deno task start [--host ADDR] [--port N] [--connect URI] ...` (see USAGE).
 *
 * Opens the database, decides whether it may listen (open mode only on loopback without
 * credentials), fixes the storage roots, and serves the app with every guard in place.
 *
 * @module
 */
import { ConfigError, parseConfig, USAGE } from "./server/config.ts";
import { SpawnRunner } from "./server/virsh/runner.ts";
import { createSecurity, createServices } from "./server/services.ts";
import { createApp } from "./server/app.tsx";
import { openDatabase } from "./server/db.ts";
import { ENV_TOKEN_VARIABLE } from "./server/auth/tokens.ts";
import { allowedHosts } from "./server/security/host.ts";
import { decideListen } from "./server/security/listen.ts";
import { describeStorageRoots, discoverStorageRoots } from "./server/security/storage_roots.ts";

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseConfig(Deno.args);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`blockboard: ${e.message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const { config } = parsed;

  let db;
  try {
    db = openDatabase(config.dataDir);
  } catch (e) {
    console.error(
      `blockboard: cannot open the database in ${config.dataDir}: ${(e as Error).message}`,
    );
    Deno.exit(1);
  }
  let security;
  try {
    security = createSecurity({
      db,
      allowedHosts: allowedHosts({
        listenHost: config.host,
        port: config.port,
        extra: config.allowedHosts,
      }),
      listenHost: config.host,
      secureCookie: config.tls !== null,
      envToken: Deno.env.get(ENV_TOKEN_VARIABLE),
    });
  } catch (e) {
    console.error(`blockboard: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const decision = decideListen(config.host, security.hasCredentials());
  if (!decision.start) {
    console.error(`blockboard: ${decision.message}`);
    Deno.exit(1);
  }

  const runner = new SpawnRunner({
    uri: config.connect,
    timeoutMs: config.virshTimeoutMs,
    maxConcurrent: config.virshMaxConcurrent,
  });
  let storageRoots = config.storageRoots;
  if (storageRoots === null) {
    // Default: libvirt's image directory, pool targets and active disks' directories, never
    // backing files' (server/security/storage_roots.ts).
    const found = await discoverStorageRoots(runner);
    for (const line of describeStorageRoots(found)) console.log(`blockboard: ${line}`);
    storageRoots = found.roots;
  }
  const services = createServices(runner, { storageRoots, db });
  // Adopt jobs already running (started by virsh, or before a restart) before serving.
  await services.monitor.start().catch((e) =>
    console.error(`blockboard: job monitor could not resync yet: ${(e as Error).message}`)
  );
  const app = createApp({ ...services, security });
  const scheme = config.tls ? "https" : "http";
  const onListen = ({ hostname, port }: { hostname: string; port: number }) => {
    console.log(
      `blockboard listening on ${scheme}://${hostname}:${port}/ (libvirt ${config.connect}; ` +
        `storage roots ${storageRoots.join(", ")})`,
    );
    if (security.openMode()) {
      console.log(
        "blockboard: no users or tokens: open mode (loopback only). " +
          "Create one with `deno task user add NAME --role admin`.",
      );
    }
  };
  if (config.tls) {
    Deno.serve({
      hostname: config.host,
      port: config.port,
      cert: Deno.readTextFileSync(config.tls.certFile),
      key: Deno.readTextFileSync(config.tls.keyFile),
      onListen,
    }, app.fetch);
  } else {
    Deno.serve({ hostname: config.host, port: config.port, onListen }, app.fetch);
  }
}
