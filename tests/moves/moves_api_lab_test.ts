/**
 * The moves JSON API through `app.request()` on real services and a real domain, with the
 * security layer on: operators start, switch and cancel; viewers read; 400/404/409 as everywhere.
 */
import { assert, assertEquals, assertMatch } from "../std_assert.ts";
import { createLabDomain, uniqueName, waitFor } from "../lab/lab.ts";
import { moveAppLab } from "./lab_harness.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { answerChecker } from "../openapi/answers.ts";
import { apiDocument } from "../../server/openapi/registry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("moves API: start, read, switch, conflicts, errors and roles", opts, async () => {
  await using lab = await moveAppLab("bbmv-");
  const { db, services, destRoot } = lab;
  const operator = await lab.token("op", "operator");
  const viewer = await lab.token("view", "viewer");
  await using dom = await createLabDomain({ name: uniqueName("bbmv-api-"), persistent: true });
  const checker = answerChecker(apiDocument());
  const call = async (method: string, path: string, auth: string, body?: unknown) => {
    const answer = await lab.call(method, path, auth, body);
    // Every answer matches the OpenAPI document (routes in Hono's syntax).
    const route = path.replace(/^\/api\/v1\/domains\/[^/]+\/move$/, "/api/v1/domains/:name/move")
      .replace(/^\/api\/v1\/moves\/[^/]+/, "/api/v1/moves/:id");
    if (answer.status !== 403) checker.check(method, route, answer.status, answer.body);
    return answer;
  };
  const start = `/api/v1/domains/${dom.name}/move`;
  // 400: unknown field, relative path, bad pivot mode; nothing starts.
  const unknown = await call("POST", start, operator, { destDir: destRoot, bandwith: 1 });
  assertEquals(unknown.status, 400);
  assertMatch(unknown.body.error.message, /unknown field "bandwith"/);
  const relative = await call("POST", start, operator, { destDir: "images/x" });
  assertEquals(relative.status, 400);
  assertMatch(relative.body.error.message, /destDir/);
  const mode = await call("POST", start, operator, { destDir: destRoot, pivot: "later" });
  assertEquals(mode.status, 400);
  const outside = await call("POST", start, operator, { destDir: "/var/tmp/bbmv-nowhere" });
  assertEquals(outside.status, 400);
  assertMatch(outside.body.error.message, /storage root/);
  const noDisk = await call("POST", start, operator, { destDir: destRoot, disks: ["vdz"] });
  assertEquals(noDisk.status, 400);
  assertMatch(noDisk.body.error.message, /no disk vdz/);
  assertEquals((await call("GET", "/api/v1/moves", viewer)).body, { moves: [] });
  // 404: unknown domain, unknown move.
  assertEquals(
    (await call("POST", "/api/v1/domains/bbmv-nope/move", operator, {
      destDir: destRoot,
    })).status,
    404,
  );
  assertEquals((await call("GET", `/api/v1/moves/${crypto.randomUUID()}`, viewer)).status, 404);
  assertEquals((await call("GET", "/api/v1/moves/not-a-uuid", viewer)).status, 400);
  // Viewers cannot start.
  assertEquals((await call("POST", start, viewer, { destDir: destRoot })).status, 403);

  const dest = `${destRoot}/moved`;
  const started = await call("POST", start, operator, { destDir: dest, pivot: "manual" });
  assertEquals(started.status, 202);
  const id = started.body.move.id as string;
  assertEquals(started.body.move.domain, dom.name);
  // 409: a second move of the same domain while this one runs; Switch before ready.
  const second = await call("POST", start, operator, { destDir: `${destRoot}/other` });
  assertEquals(second.status, 409);
  // Copying 8 MiB and comparing takes longer than this request: never ready yet.
  const early = await call("POST", `/api/v1/moves/${id}/pivot`, operator);
  assertEquals(early.status, 409);
  assertMatch(early.body.error.message, /ready/);
  await waitFor("the move to be ready", async () => {
    const r = await call("GET", `/api/v1/moves/${id}`, viewer);
    return r.body.move.state === "ready" ? r : null;
  }, { timeoutMs: 60_000, intervalMs: 100 });
  const listed = await call("GET", "/api/v1/moves", viewer);
  assertEquals(listed.body.moves.length, 1);
  assertEquals((await call("POST", `/api/v1/moves/${id}/pivot`, viewer)).status, 403);
  const pivoted = await call("POST", `/api/v1/moves/${id}/pivot`, operator);
  assertEquals(pivoted.status, 200);
  assertEquals(pivoted.body.move.state, "done", pivoted.body.move.message);
  assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, `${dest}/snap2.qcow2`);
  // Canceling a finished move is a conflict.
  assertEquals((await call("POST", `/api/v1/moves/${id}/cancel`, operator)).status, 409);
  // The move is in the database.
  const row = db.prepare("SELECT state FROM moves WHERE id = ?").get(id) as { state: string };
  assertEquals(row.state, "done");
  assert(services.history !== null);
});
