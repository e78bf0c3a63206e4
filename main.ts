/**
 * Starts blockboard: `deno task start [--host ADDR] [--port N] [--connect URI] ...` (see USAGE).
 * `main.ts user ...` (the installed `blockboard user ...`) manages users like `deno task user`.
 *
 * Opens the database, decides whether it may listen (open mode only on loopback without
 * credentials), fixes the storage roots, and serves the app with every guard in place behind the
 * front door (deadlines and connection caps). SIGTERM/SIGINT finish requests in flight, stop the
 * `virsh event` listener and every virsh process, close the database and exit 0.
 *
 * @module
 */
import { ConfigError, parseConfig, USAGE } from "./server/config.ts";
import { SpawnRunner } from "./server/virsh/runner.ts";
import { SessionPoolRunner } from "./server/virsh/pool.ts";
import { createSecurity } from "./server/services.ts";
import { createHostRegistry } from "./server/hosts/registry.ts";
import { MigrationService } from "./server/migrations/service.ts";
import { MigrationHistory } from "./server/migrations/history.ts";
import type { HostSpec } from "./server/hosts/model.ts";
import { createApp } from "./server/app.tsx";
import { openDatabase } from "./server/db.ts";
import { ENV_TOKEN_VARIABLE } from "./server/auth/tokens.ts";
import { allowedHosts } from "./server/security/host.ts";
import { decideListen } from "./server/security/listen.ts";
import { describeStorageRoots, discoverStorageRoots } from "./server/security/storage_roots.ts";
import { raiseFileLimit } from "./server/http/fd_limit.ts";
import { FrontDoor, totalForDescriptorLimit } from "./server/http/front_door.ts";
import { serveUpstream } from "./server/http/upstream.ts";
import { listenFailure, onShutdownSignal, SHUTDOWN_GRACE_MS } from "./server/http/lifecycle.ts";
import { denoIo, runUserCli } from "./server/cli/user.ts";
import { WebhookNotifier } from "./server/webhooks/notifier.ts";
import { watchControlPlane } from "./server/webhooks/sources.ts";

if (import.meta.main) {
  // The installed binary has no `deno task`: `blockboard user ...` is `deno task user ...`.
  if (Deno.args[0] === "user") Deno.exit(await runUserCli(Deno.args.slice(1), denoIo()));
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
      metricsToken: config.metricsToken,
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

  let tls: { cert: string; key: string } | undefined;
  try {
    tls = config.tls
      ? {
        cert: Deno.readTextFileSync(config.tls.certFile),
        key: Deno.readTextFileSync(config.tls.keyFile),
      }
      : undefined;
  } catch (e) {
    console.error(`blockboard: cannot read the TLS certificate or key: ${(e as Error).message}`);
    Deno.exit(2);
  }

  // Signals are hooked before any virsh runs or any connection is accepted: a signal during
  // start-up still stops what started, and Deno sets up its signal handling (which needs a
  // descriptor) now, not lazily in the middle of a descriptor flood, where it panics (2.9.6).
  const shutdown = onShutdownSignal();
  // One runner per host (`--libvirt NAME=URI`): its own virsh processes and slots.
  const runnerFor = (spec: HostSpec) => {
    const spawnRunner = new SpawnRunner({
      uri: spec.uri,
      timeoutMs: config.virshTimeoutMs,
      maxConcurrent: config.virshMaxConcurrent,
    });
    // Short calls go to long-lived virsh sessions (about 1 ms a command instead of 40-100 ms and
    // a libvirt connection each); streams and --wait still get a process of their own.
    return config.virshSessions > 0
      ? new SessionPoolRunner({
        spawn: spawnRunner,
        size: config.virshSessions,
        timeoutMs: config.virshTimeoutMs,
      })
      : spawnRunner;
  };
  const runner = runnerFor(config.hosts[0]);
  let storageRoots = config.storageRoots;
  if (storageRoots === null) {
    // Default: libvirt's image directory, pool targets and active disks' directories, never
    // backing files' (server/security/storage_roots.ts).
    const found = await discoverStorageRoots(runner);
    for (const line of describeStorageRoots(found)) console.log(`blockboard: ${line}`);
    storageRoots = found.roots;
  }
  // Path destinations on the default host only: blockboard cannot check files on another host.
  const roots = storageRoots;
  const hosts = createHostRegistry({
    hosts: config.hosts,
    runnerFor: (spec) => spec === config.hosts[0] ? runner : runnerFor(spec),
    serviceOptions: (_spec, isDefault) => ({
      storageRoots: isDefault ? roots : [],
      moveQueue: { maxRunning: config.maxMoves, bandwidthBudget: config.bandwidthBudget },
    }),
    db,
  });
  const services = hosts.default.services;
  // Live migrations between the hosts (issue 12), their outcomes kept in the database.
  const migrations = new MigrationService({
    hosts,
    history: new MigrationHistory(db),
    migrationAddresses: config.migrationAddresses,
    audit: security.audit,
  });
  const webhooks = config.webhooks
    ? new WebhookNotifier({ ...config.webhooks, audit: security.audit })
    : null;
  // Aborted at shutdown: the app drops its runner and monitor subscriptions.
  const appLifetime = new AbortController();
  shutdown.set(async () => {
    appLifetime.abort();
    await migrations.shutdown(); // aborted cleanly and audited, not dropped
    await webhooks?.close();
    await services.moves.detach(); // saved; the next start resumes them
    await hosts.stop();
    security.audit.close();
    db.close();
  });
  // Adopt jobs already running (started by virsh, or before a restart) before serving.
  // The default host is waited for as before; the others start in the background.
  await hosts.start();
  // After the first resync: jobs that ran before a restart are not announced as started again.
  // Every host's jobs and moves, and the migrations between them.
  if (webhooks) watchControlPlane(webhooks, hosts, migrations);
  // Migrations a restart interrupted: settled from where the domain runs now, and recorded.
  migrations.keepRecovering((m) =>
    console.log(`blockboard: migration of ${m.domain} from ${m.from} to ${m.to}: ${m.message}`)
  );
  // Storage moves a restart interrupted continue (or can be canceled) from the database.
  await services.moves.resume().catch((e) =>
    console.error(`blockboard: could not resume storage moves: ${(e as Error).message}`)
  );
  const app = createApp({
    ...services,
    hosts,
    security,
    signal: appLifetime.signal,
    migrations,
  });
  const scheme = config.tls ? "https" : "http";
  const onListen = ({ hostname, port }: { hostname: string; port: number }) => {
    console.log(
      `blockboard listening on ${scheme}://${hostname}:${port}/ (libvirt ${
        config.hosts.map((h) => `${h.name}=${h.uri}`).join(", ")
      }; ` +
        `storage roots ${storageRoots.join(", ")})`,
    );
    if (security.openMode()) {
      console.log(
        "blockboard: no users or tokens: open mode (loopback only). " +
          "Create one with `deno task user add NAME --role admin`.",
      );
    }
  };
  const { limit, problem } = await raiseFileLimit();
  if (problem) console.error(`blockboard: ${problem}`);
  const upstream = await serveUpstream(app.fetch);
  let door: FrontDoor;
  try {
    door = new FrontDoor({
      hostname: config.host,
      port: config.port,
      tls,
      upstreamPath: upstream.path,
      limits: {
        perClient: config.clientConnections,
        total: totalForDescriptorLimit(limit?.soft ?? 1024, tls !== undefined),
      },
      onListen,
    });
  } catch (e) {
    console.error(`blockboard: ${listenFailure(config.host, config.port, e)}`);
    await upstream.shutdown(0);
    await webhooks?.close();
    await hosts.stop();
    security.audit.close();
    db.close();
    Deno.exit(2);
  }
  shutdown.set(async (signal) => {
    console.log(`blockboard: ${signal}: finishing requests in flight, then exiting`);
    await door.stopAccepting();
    await upstream.shutdown(SHUTDOWN_GRACE_MS);
    door.closeAll();
    // Before the audit log closes: undelivered events are audited.
    await webhooks?.close();
    // Before the runners stop: a running migration is aborted cleanly and audited, not dropped.
    await migrations.shutdown();
    await hosts.stop();
    // After the last request: writes the refusals still buffered.
    security.audit.close();
    db.close();
    await door.close();
  });
}
