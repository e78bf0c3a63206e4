/**
 * Builds the long-lived parts of blockboard around one virsh runner, the same way for the server
 * and for tests.
 *
 * @module
 */
import type { VirshRunner } from "./virsh/runner.ts";
import { Inventory } from "./inventory/service.ts";
import { JobMonitor, type JobMonitorOptions } from "./jobs/monitor.ts";
import { JobOperations, type JobOperationsOptions } from "./jobs/operations.ts";
import type { Context } from "hono";
import { tryGetContext } from "hono/context-storage";
import type { AppEnv } from "./env.ts";
import { JobHistory } from "./jobs/history.ts";
import type { Database } from "./db.ts";
import { UserStore } from "./auth/users.ts";
import { SessionStore } from "./auth/sessions.ts";
import { TokenStore } from "./auth/tokens.ts";
import { LoginRateLimiter } from "./auth/ratelimit.ts";
import { AuditLog } from "./audit/log.ts";
import { isLoopbackHost } from "./security/listen.ts";
import { Metrics } from "./metrics/service.ts";
import { metricsTokenSchema } from "./metrics/token.ts";
import { DEFAULT_HOST_NAME } from "./hosts/model.ts";

import { MoveEngine } from "./moves/engine.ts";
import { SqliteMoveStore } from "./moves/store.ts";
import { MoveQueue, type MoveQueueOptions } from "./moves/queue.ts";
import { SpawnQemuImg } from "./images/runner.ts";

/** The `host` label of metrics and webhooks, and the default host's name (`server/hosts/`). */
export { DEFAULT_HOST_NAME };

/** The domain modules the routes call. */
export interface Services {
  runner: VirshRunner;
  inventory: Inventory;
  monitor: JobMonitor;
  operations: JobOperations;
  /**
   * Directories copy destinations must lie in (form, API and terminal alike); null only where no
   * root is configured (unit tests).
   */
  storageRoots: readonly string[] | null;
  /** Finished jobs kept in the database; null without a database (unit tests). */
  history: JobHistory | null;
  /** The name of the libvirt host (the `host` of metrics and webhooks). */
  hostName: string;
  /**
   * Prometheus metrics (`GET /metrics`), fed by the runner, the monitor, the moves and the app;
   * with several hosts, one instance shared by all of them.
   */
  metrics: Metrics;
  /**
   * Storage moves (server/moves/); kept in the database when one is given. Call
   * `moves.resume()` after `monitor.start()` to pick up moves a restart interrupted.
   */
  moves: MoveEngine;
  /** The host-wide queue storage moves run through (`--max-moves`, `--bandwidth-budget`). */
  moveQueue: MoveQueue;
  /** The qemu-img runner storage moves use on this machine (the audit listens to its writes). */
  moveQemuImg: SpawnQemuImg;
}

/** Options of {@link createServices}. */
export interface ServiceOptions {
  /** See {@link Services.storageRoots}. */
  storageRoots?: readonly string[];
  monitor?: JobMonitorOptions;
  operations?: JobOperationsOptions;
  /** Inventory cache lifetime (ms). */
  inventoryCacheMs?: number;
  /** The database (see `openDatabase`): job history survives restarts when given. */
  db?: Database;
  /** See {@link Services.hostName}; default {@link DEFAULT_HOST_NAME}. */
  hostName?: string;
  /** Limits of the move queue (see {@link MoveQueue}). */
  moveQueue?: MoveQueueOptions;
  /** The metrics this host's series go to (shared by every host of a registry); default: new. */
  metrics?: Metrics;
  /** Whether the host's libvirt answers, for `libvirt_up`; default: the monitor's last call. */
  reachable?: () => boolean;
}

/** The signed-in user of the request being served, if any (jobs record who started them). */
function requestUser(): string | null {
  return tryGetContext<AppEnv>()?.var.user?.name ?? null;
}

/** Wires inventory, job monitor and operations; call `monitor.start()` to begin watching. */
export function createServices(runner: VirshRunner, options: ServiceOptions = {}): Services {
  const hostName = options.hostName ?? DEFAULT_HOST_NAME;
  // Each host's jobs and history rows carry its name.
  const history = options.db ? new JobHistory(options.db, hostName) : null;
  const monitor = new JobMonitor(runner, {
    ...(history ? { store: history } : {}),
    host: hostName,
    ...options.monitor,
  });
  const inventory = new Inventory(runner, {
    jobLookup: (uuid, target) => monitor.getJob(uuid, target),
    cacheMs: options.inventoryCacheMs,
  });
  // The inventory is kept by the events the monitor already listens to.
  monitor.onEventLine((line) => inventory.noteEventLine(line));
  monitor.onDomainChange((name) => inventory.noteDomainChanged(name));
  const roots = options.storageRoots ?? null;
  const operations = new JobOperations(runner, monitor, {
    storageRoots: roots,
    startedBy: requestUser,
    ...options.operations,
  });
  const moveQueue = new MoveQueue(options.moveQueue);
  // Layer copies and compares of large images: a long deadline.
  const moveQemuImg = new SpawnQemuImg({ timeoutMs: 3_600_000 });
  const moves = new MoveEngine({
    queue: moveQueue,
    qemuImg: moveQemuImg,
    runner,
    monitor,
    operations,
    storageRoots: roots,
    ...(options.db ? { store: new SqliteMoveStore(options.db, hostName) } : {}),
    resolveDomain: (name) => inventory.resolve(name),
    startedBy: requestUser,
    host: hostName,
  });
  // One Metrics may cover several hosts (the registry shares its own).
  const metrics = options.metrics ?? new Metrics();
  metrics.addHost({ name: hostName, runner, monitor, moves, up: options.reachable });
  return {
    runner,
    inventory,
    monitor,
    operations,
    storageRoots: roots,
    history,
    hostName,
    metrics,
    moves,
    moveQueue,
    moveQemuImg,
  };
}

/** The login, session, token and audit stores plus the request-guard settings. */
export interface SecurityServices {
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenStore;
  limiter: LoginRateLimiter;
  /** Buffers refusals: the server's shutdown calls `audit.close()` after the last request. */
  audit: AuditLog;
  /** `Host` values served (from `allowedHosts`); checked first on every request. */
  allowedHosts: ReadonlySet<string>;
  /** Some user or API token exists (else only loopback may serve, openly). */
  hasCredentials: () => boolean;
  /** True while running open (loopback and no credentials); asked per request. */
  openMode: () => boolean;
  /** Serving over TLS: cookies get `Secure`. */
  secureCookie: boolean;
  /** Peer address; defaults to the connection's. */
  clientAddress?: (c: Context) => string;
  /** Login slowdown sleep; injected so tests do not wait. */
  loginSleep?: (ms: number) => Promise<void>;
  /** The token that may scrape `/metrics` and nothing else (`--metrics-token`), or null. */
  metricsToken: string | null;
}

/** Options of {@link createSecurity}. */
export interface CreateSecurityOptions {
  db: Database;
  allowedHosts: ReadonlySet<string>;
  /** Where the server listens: open mode is allowed only on loopback. */
  listenHost: string;
  secureCookie: boolean;
  /** Value of `BLOCKBOARD_TOKEN`. */
  envToken?: string;
  /** See {@link SecurityServices.metricsToken}. */
  metricsToken?: string | null;
  /** PBKDF2 iterations (tests lower it; production keeps the default). */
  passwordIterations?: number;
  now?: () => number;
  clientAddress?: (c: Context) => string;
  loginSleep?: (ms: number) => Promise<void>;
}

/** Builds the stores over one database; open mode is re-evaluated per request. */
export function createSecurity(options: CreateSecurityOptions): SecurityServices {
  const { db, now } = options;
  const users = new UserStore(db, { iterations: options.passwordIterations, now });
  const tokens = new TokenStore(db, { envToken: options.envToken, now });
  const loopback = isLoopbackHost(options.listenHost);
  const hasCredentials = () => users.count() > 0 || tokens.hasAny();
  return {
    users,
    sessions: new SessionStore(db, { now }),
    tokens,
    limiter: new LoginRateLimiter(db, { now }),
    audit: new AuditLog(db, { now }),
    allowedHosts: options.allowedHosts,
    hasCredentials,
    openMode: () => loopback && !hasCredentials(),
    secureCookie: options.secureCookie,
    clientAddress: options.clientAddress,
    loginSleep: options.loginSleep,
    metricsToken: options.metricsToken ? metricsTokenSchema.parse(options.metricsToken) : null,
  };
}
