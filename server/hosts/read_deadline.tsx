/**
 * A host's own reads under a short deadline: a GET of a host's pages or API that gets no answer
 * within it (libvirt accepts the connection but never answers: a hung daemon, dropped packets)
 * is answered with the host's banner (pages) or a 503 sentence (API, htmx), and the host is
 * probed at once, so its next reads fail fast until it answers again. The read itself goes on
 * until its virsh deadline; nobody waits for it. Other hosts are not involved.
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http_errors.ts";
import { layoutSessionOf } from "../routes/viewer.ts";
import { HostDownPage } from "../../views/host_down.tsx";
import { unreachableSentence } from "./guarded_runner.ts";
import type { Host } from "./model.ts";

/** Default deadline of a host's page or API read (ms): well inside the 30 s virsh deadline. */
export const HOST_READ_DEADLINE_MS = 3000;

/** True for a request a browser shows as a page (not JSON, not an htmx part). Pure. */
function wantsPage(c: Context<AppEnv>): boolean {
  return c.req.header("HX-Request") === undefined &&
    !(c.req.header("accept") ?? "").includes("application/json") &&
    !c.req.path.startsWith("/api/");
}

/** The answer for a host that does not answer: its banner page, or a 503 with the sentence. */
export function hostDownAnswer(
  c: Context<AppEnv>,
  host: Host,
  sentence: string,
): Response | Promise<Response> {
  if (c.req.method === "GET" && wantsPage(c)) {
    return c.html(
      <HostDownPage
        host={{ name: host.name, uri: host.uri, status: host.status(), problem: sentence }}
        session={layoutSessionOf(c)}
      />,
      503,
      { "retry-after": "1" },
    );
  }
  throw new HttpError(503, "host_unreachable", sentence, undefined, { "retry-after": "1" });
}

/** The sentence of a read past its deadline. Pure. */
export function lateSentence(host: { name: string; uri: string }, ms: number): string {
  return `Host ${host.name} (${host.uri}) did not answer within ${ms} ms; blockboard is checking it and retries it with backoff`;
}

/**
 * Middleware for one host's routes: known down, answer at once; otherwise GET/HEAD reads get
 * `ms` to answer. Writes are never cut short (an operation started must report its outcome).
 */
export function hostReads(host: Host, ms: number) {
  return async (c: Context<AppEnv>, next: () => Promise<void>): Promise<Response | void> => {
    if (!host.reachable) {
      return await hostDownAnswer(
        c,
        host,
        unreachableSentence(host.name, host.uri, host.status()),
      );
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return await next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = next();
    const late = new Promise<"late">((r) => timer = setTimeout(r, ms, "late"));
    const first = await Promise.race([work.then(() => "done" as const), late])
      .finally(() => clearTimeout(timer));
    if (first === "done") return;
    work.catch(() => {/* answered already; its own deadline ends it */});
    // Slow or gone? The probe tells, marks the host, and its next reads fail fast.
    void host.checkNow();
    return await hostDownAnswer(c, host, lateSentence(host, ms));
  };
}
