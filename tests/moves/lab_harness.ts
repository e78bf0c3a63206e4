/**
 * A move lab: real lab domains (prefix `bbmv-`), a real monitor and operations, a move engine
 * over them, and a destination directory under the lab root removed afterwards.
 *
 * @module
 */
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobOperations } from "../../server/jobs/operations.ts";
import { MoveEngine, type MoveEngineOptions } from "../../server/moves/engine.ts";
import type { Move, MoveState } from "../../server/moves/model.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { LAB_ROOT, LAB_URI, qemuImg, waitFor } from "../lab/lab.ts";
import { createApp } from "../../server/app.tsx";
import { createServices, type SecurityServices, type Services } from "../../server/services.ts";
import { type Database, IN_MEMORY, openDatabase } from "../../server/db.ts";
import { testSecurity } from "../support/security.ts";

/** Engine, monitor, runner and a fresh destination directory. */
export interface MoveLab extends AsyncDisposable {
  runner: SpawnRunner;
  monitor: JobMonitor;
  ops: JobOperations;
  engine: MoveEngine;
  /** A fresh directory for destinations (removed on dispose). */
  destRoot: string;
  /** Another engine over the same store and libvirt (a restarted blockboard). */
  restart(
    options?: Partial<MoveEngineOptions>,
  ): Promise<{ engine: MoveEngine; monitor: JobMonitor }>;
}

/** Starts a monitor and an engine; the destination directory's name starts with `prefix`. */
export async function moveLab(
  options: Partial<MoveEngineOptions> = {},
  prefix = "bbmv-",
): Promise<MoveLab> {
  const runner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  const monitors: JobMonitor[] = [];
  const engines: MoveEngine[] = [];
  const build = async (opts: Partial<MoveEngineOptions>) => {
    const monitor = new JobMonitor(runner, { intervalMs: 250, resyncIntervalMs: 0 });
    const ops = new JobOperations(runner, monitor, { pivotRetryDelayMs: 200 });
    await monitor.start();
    await waitFor("the event listener", () => Promise.resolve(monitor.events.state !== "off"));
    const engine = new MoveEngine({ runner, monitor, operations: ops, pollMs: 100, ...opts });
    monitors.push(monitor);
    engines.push(engine);
    return { monitor, ops, engine };
  };
  const first = await build(options);
  const destRoot = `${LAB_ROOT}/${prefix}${crypto.randomUUID()}`;
  await Deno.mkdir(destRoot, { mode: 0o755 });
  return {
    runner,
    ...first,
    destRoot,
    restart: async (opts = {}) => {
      const next = await build({ ...options, ...opts });
      return { engine: next.engine, monitor: next.monitor };
    },
    async [Symbol.asyncDispose]() {
      for (const engine of engines) await engine.detach().catch(() => undefined);
      for (const monitor of monitors) await monitor.stop();
      await Deno.remove(destRoot, { recursive: true }).catch(() => undefined);
    },
  };
}

/** An answer of the JSON API, read loosely (tests check its shape against the OpenAPI document). */
// deno-lint-ignore no-explicit-any
export type JsonAnswer = { status: number; body: any };

/** The whole app on real services over the lab's libvirt, with the security layer on. */
export interface MoveAppLab extends AsyncDisposable {
  runner: SpawnRunner;
  db: Database;
  services: Services;
  security: SecurityServices;
  app: ReturnType<typeof createApp>;
  /** A fresh directory under the lab root for destinations (removed on dispose). */
  destRoot: string;
  /** A new API token's `authorization` header (its user reads `token:NAME`). */
  token(name: string, role: "viewer" | "operator"): Promise<string>;
  /** A JSON request as `auth`; the answer's status and parsed body. */
  call(method: string, path: string, auth: string, body?: unknown): Promise<JsonAnswer>;
}

/**
 * The app's real services over the lab's libvirt (storage root {@link LAB_ROOT}, an in-memory
 * database, a monitor sampling every 250 ms with no periodic resync), for `app.request()` tests.
 */
export function labMoveServices(): { runner: SpawnRunner; db: Database; services: Services } {
  const runner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  const db = openDatabase(IN_MEMORY);
  const services = createServices(runner, {
    db,
    storageRoots: [LAB_ROOT],
    monitor: { intervalMs: 250, resyncIntervalMs: 0 },
  });
  return { runner, db, services };
}

/**
 * Starts {@link labMoveServices} (the monitor running) and their app with the security layer on;
 * the destination directory's name starts with `prefix`.
 */
export async function moveAppLab(prefix: string): Promise<MoveAppLab> {
  const { runner, db, services } = labMoveServices();
  const security = testSecurity({ db });
  const app = createApp({ ...services, security });
  const destRoot = `${LAB_ROOT}/${prefix}${crypto.randomUUID()}`;
  await Deno.mkdir(destRoot, { mode: 0o755 });
  await services.monitor.start();
  return {
    runner,
    db,
    services,
    security,
    app,
    destRoot,
    token: async (name, role) => `Bearer ${(await security.tokens.create(name, role)).token}`,
    call: async (method, path, auth, body) => {
      const res = await app.request(path, {
        method,
        headers: {
          host: "127.0.0.1:8080",
          authorization: auth,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.json() };
    },
    async [Symbol.asyncDispose]() {
      await services.moves.detach();
      await services.monitor.stop();
      await Deno.remove(destRoot, { recursive: true }).catch(() => undefined);
      await runner.close();
    },
  };
}

/** Waits for the move to reach one of `states`. */
export function waitMove(
  engine: MoveEngine,
  id: string,
  states: MoveState[],
  timeoutMs = 120_000,
): Promise<Move> {
  return waitFor(`move ${id} to be ${states.join("|")}`, () => {
    const move = engine.get(id);
    if (
      move && ["failed", "canceled", "done"].includes(move.state) && !states.includes(move.state)
    ) {
      throw new Error(`move ended ${move.state}: ${move.message}`);
    }
    return Promise.resolve(move && states.includes(move.state) ? move : null);
  }, { timeoutMs, intervalMs: 50 });
}

/** `qemu-img compare -U` of two chains (guest views); true when identical. */
export async function sameGuestView(a: string, b: string, fa = "qcow2", fb = "qcow2") {
  const r = await qemuImg("compare", "-U", "-f", fa, "-F", fb, a, b);
  if (r.code > 1) throw new Error(r.stderr);
  return r.code === 0;
}

/** `qemu-img info --backing-chain -U --output=json` of `top`. */
export async function backingChainInfo(top: string, format = "qcow2") {
  const r = await qemuImg("info", "--backing-chain", "-U", "-f", format, "--output=json", top);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as {
    filename: string;
    format: string;
    "backing-filename"?: string;
    "backing-filename-format"?: string;
  }[];
}

/** SHA-256 (hex), size and mtime of each file: to prove the old chain was not touched. */
export async function fingerprints(paths: readonly string[]): Promise<string[]> {
  return await Promise.all(paths.map(async (p) => {
    const data = await Deno.readFile(p);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    const info = await Deno.stat(p);
    return `${p} ${
      Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")
    } ${info.size} ${info.mtime?.getTime()}`;
  }));
}
