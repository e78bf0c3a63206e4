/**
 * Finished moves in the job history, on real services and real domains through `app.request()`:
 * `GET /api/v1/jobs` lists a done and a canceled move (type `move`, outcome, message, who, bytes,
 * when) among the block jobs, matching the OpenAPI document, and the domain page's Recent jobs
 * of the moved disk shows it.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../std_assert.ts";
import { createLabDomain, uniqueName, waitFor } from "../lab/lab.ts";
import { moveAppLab } from "./lab_harness.ts";
import { answerChecker } from "../openapi/answers.ts";
import { apiDocument } from "../../server/openapi/registry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("finished moves stay in the job history with their outcome", opts, async () => {
  await using lab = await moveAppLab("bbmm-");
  const { app, db, destRoot } = lab;
  const operator = await lab.token("mover", "operator");
  await using dom = await createLabDomain({ name: uniqueName("bbmm-hist-"), persistent: true });
  const checker = answerChecker(apiDocument());
  const call = (method: string, path: string, body?: unknown) =>
    lab.call(method, path, operator, body);
  const history = async () => {
    const r = await call("GET", `/api/v1/jobs?domain=${dom.name}`);
    checker.check("GET", "/api/v1/jobs", r.status, r.body);
    return r.body.jobs as Record<string, unknown>[];
  };
  assertEquals(await history(), []);
  const start = `/api/v1/domains/${dom.name}/move`;
  const first = await call("POST", start, { destDir: `${destRoot}/a`, pivot: "auto" });
  assertEquals(first.status, 202);
  const done = await waitFor("the move to be done", async () => {
    const r = await call("GET", `/api/v1/moves/${first.body.move.id}`);
    return r.body.move.state === "done" ? r.body.move : null;
  }, { timeoutMs: 90_000, intervalMs: 100 });
  // A running move is not history yet; a canceled one is.
  const second = await call("POST", start, { destDir: `${destRoot}/b`, pivot: "manual" });
  assertEquals(second.status, 202);
  assert(!(await history()).some((e) => e.id === second.body.move.id), "running: not listed");
  const canceled = await call("POST", `/api/v1/moves/${second.body.move.id}/cancel`);
  assertEquals(canceled.body.move.state, "canceled");

  const [newest, older] = await history();
  assertEquals(newest.type, "move");
  assertEquals(newest.id, second.body.move.id);
  assertEquals(newest.phase, "canceled");
  assertMatch(newest.message as string, /^Canceled: the domain stays on its old chain/);
  assertEquals(older.type, "move");
  assertEquals(older.id, done.id);
  assertEquals(older.phase, "done");
  assertEquals(older.outcome, `moved to ${destRoot}/a`);
  assertEquals(older.message, done.message);
  assertEquals(older.startedBy, "token:mover");
  assertEquals(older.targets, ["vda"]);
  assertEquals(older.host, "local");
  assertEquals([older.cur, older.end], [done.bytesDone, done.bytesTotal]);
  assert((older.end as number) > 0);
  assertEquals([older.startedAt, older.finishedAt], [done.startedAt, done.finishedAt]);
  // Not copied into job_history (it keeps block jobs only, the moves' mirrors among them): the
  // moves table is the one record, and each move is listed once.
  const types = db.prepare("SELECT DISTINCT type FROM job_history WHERE uuid = ?")
    .all(dom.uuid) as { type: string }[];
  assert(types.every((t) => t.type !== "move"), JSON.stringify(types));
  assertEquals(
    (await history()).filter((e) => e.type === "move").map((e) => e.id),
    [second.body.move.id, done.id],
  );
  // The domain page: the moved disk's Recent jobs lists both moves with their outcome.
  const page = await app.request(`/domains/${dom.name}`, {
    headers: { host: "127.0.0.1:8080", authorization: operator, accept: "text/html" },
  });
  assertEquals(page.status, 200);
  const html = await page.text();
  assertStringIncludes(html, `data-phase="done" data-move="${done.id}"`);
  assertStringIncludes(html, `data-phase="canceled" data-move="${second.body.move.id}"`);
  assertStringIncludes(html, "<td>move</td>");
  assertStringIncludes(html, "Canceled: the domain stays on its old chain");
});
