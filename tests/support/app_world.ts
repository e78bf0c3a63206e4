/**
 * The REAL app wired with security (in-memory database, fast password hashing, no login sleep)
 * over a counting fake libvirt with one running domain, and temporary storage roots.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices, type SecurityServices, type Services } from "../../server/services.ts";
import { FakeRunner, type FakeScript } from "./fake_runner.ts";
import { testSecurity } from "./security.ts";
import {
  domStatsInventoryArgs,
  dumpXmlArgs,
  listPersistentArgs,
} from "../../server/virsh/commands.ts";
import { fixture, NO_JOB, VM1 } from "../jobs/fixtures.ts";
import { fakeClock } from "../auth/fixture.ts";
import type { Role } from "../../server/auth/roles.ts";

export { VM1 };
/** The `Host` every test request uses. */
export const HOST = "127.0.0.1:8080";
/** Same-site origin. */
export const ORIGIN = `http://${HOST}`;
/** The read-only listing resolving a name costs (carries no user input). */
export const LISTING = ["list", "--all", "--uuid", "--name"];

/** A logged-in browser session. */
export interface Login {
  cookie: string;
  csrf: string;
}

/** Options of one request. */
export interface Req {
  method?: string;
  as?: Login | null;
  /** CSRF header value; defaults to the session's token, `null` to omit. */
  csrf?: string | null;
  json?: unknown;
  /** Raw body with its content type. */
  body?: string;
  type?: string;
  headers?: Record<string, string>;
}

/**
 * A fake libvirt with one domain, VM1, running a disk without a job (its real captured
 * `dumpxml`); every other call answers empty. The world's runner, and any test's that needs the
 * same host.
 */
export const vm1Running: FakeScript = (args) => {
  const [cmd] = args;
  if (cmd === "list") {
    return {
      stdout: args.includes("--persistent") ? `${VM1.uuid}\n\n` : `${VM1.uuid} ${VM1.name}\n\n`,
    };
  }
  if (cmd === "domstate") return { stdout: "running\n\n" };
  if (cmd === "domstats") {
    return { stdout: `Domain: '${VM1.name}'\n  state.state=1\n  state.reason=1\n\n` };
  }
  if (cmd === "dumpxml") return { stdout: fixture("dumpxml-vm1-running.xml") };
  if (cmd === "blockjob" && args.includes("--info")) return { stdout: NO_JOB };
  return { stdout: "" };
};

/** Options of {@link world}. */
export interface WorldOptions {
  /** Adds to the services before the app is built (a move service, another queue). */
  extend?: (services: Services) => Partial<Services>;
}

/** Builds the world; `await w.cleanup()` at the end. */
export async function world(options: WorldOptions = {}) {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "bb-app-" }));
  const root = `${base}/images`;
  await Deno.mkdir(root, { mode: 0o755 });
  await Deno.chmod(root, 0o755);
  const runner = new FakeRunner(vm1Running);
  const roots = [root];
  const created = createServices(runner, { storageRoots: roots });
  const services = { ...created, ...options.extend?.(created) };
  const clock = fakeClock();
  const security: SecurityServices = testSecurity({
    machineHostname: "hv",
    now: clock.now,
    clientAddress: () => "192.0.2.9",
  });
  const app = createApp({ ...services, security });
  for (const role of ["viewer", "operator", "admin"] as Role[]) {
    await security.users.create(role, role, `${role}-password-long`);
  }
  const login = async (name: Role): Promise<Login> => {
    const { id, session } = await security.sessions.create(name, "192.0.2.9");
    return { cookie: `bb_session=${id}`, csrf: session.csrfToken };
  };

  const request = (path: string, r: Req = {}) => {
    const headers: Record<string, string> = { host: HOST, ...(r.headers ?? {}) };
    const method = r.method ?? (r.json !== undefined || r.body !== undefined ? "POST" : "GET");
    if (method !== "GET" && !("origin" in headers) && !("sec-fetch-site" in headers)) {
      headers.origin = ORIGIN;
    }
    if (r.as) {
      headers.cookie = r.as.cookie;
      const csrf = r.csrf === undefined ? r.as.csrf : r.csrf;
      if (csrf !== null && method !== "GET") headers["x-csrf-token"] = csrf;
    }
    let body: string | undefined;
    if (r.json !== undefined) {
      body = typeof r.json === "string" ? r.json : JSON.stringify(r.json);
      headers["content-type"] = "application/json";
    } else if (r.body !== undefined) {
      body = r.body;
      if (r.type) headers["content-type"] = r.type;
    }
    return app.request(path, { method, headers, body });
  };

  const listing = async () =>
    (await Array.fromAsync(Deno.readDir(base))).map((e) => e.name).sort().join(",") + "|" +
    (await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).sort().join(",");

  return {
    app,
    services,
    runner,
    security,
    clock,
    base,
    root,
    login,
    request,
    listing,
    cleanup: () => Deno.remove(base, { recursive: true }),
  };
}

/** The world type. */
export type World = Awaited<ReturnType<typeof world>>;

/** The error message of a response (JSON error or text). */
export async function messageOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.error?.message === "string") return parsed.error.message;
  } catch {
    // text or HTML
  }
  return text;
}

/** No virsh ran at all, or (`listOnly`) only the read-only name listing. */
export function assertNoVirsh(runner: FakeRunner, listOnly = false) {
  if (!listOnly) {
    assertEquals(runner.calls, [], "no virsh process may run");
    return;
  }
  for (const call of runner.calls) {
    assert(
      INVENTORY_READS.some((read) => JSON.stringify(read) === JSON.stringify(call)),
      `only the inventory's own reads may run, not ${call.join(" ")}`,
    );
  }
}

/** What building the inventory snapshot runs: listings, one bulk domstats, XML by UUID. */
const INVENTORY_READS = [
  LISTING,
  listPersistentArgs(),
  domStatsInventoryArgs(),
  dumpXmlArgs(VM1.uuid),
];

/** No call changed anything (no blockcopy/pull/commit, no blockjob control). */
export function assertNoMutatingVirsh(runner: FakeRunner) {
  for (const call of runner.calls) {
    assert(
      !["blockcopy", "blockpull", "blockcommit"].includes(call[0]) &&
        !(call[0] === "blockjob" && !call.includes("--info")),
      `mutating virsh call ran: ${call.join(" ")}`,
    );
  }
}
