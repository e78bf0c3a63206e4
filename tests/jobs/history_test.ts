/**
 * Job history in the database: an outcome survives a restart (new services over the same file),
 * and `GET /api/v1/jobs` validates its query and lists newest first, without virsh.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { openDatabase } from "../../server/db.ts";
import { JobHistory } from "../../server/jobs/history.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { IMG, VM1 } from "./fixtures.ts";

const quiet = { sampling: false, events: false } as const;

function finishOne(services: ReturnType<typeof createServices>, target = "vda") {
  services.monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target,
    type: "pull",
    bandwidthBytes: 1024,
    chain: [`${IMG}/snap2.qcow2`, `${IMG}/snap1.qcow2`],
    startedBy: "alice",
  });
  services.monitor.book.confirm({ uuid: VM1.uuid, target: target });
  services.monitor.book.finish({ uuid: VM1.uuid, target: target }, "canceled");
  return services.monitor.settled({ uuid: VM1.uuid, target: target });
}

Deno.test("a finished job's outcome survives a restart: new services over the same database file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-history-" });
  try {
    const db = openDatabase(dir);
    await finishOne(createServices(new FakeRunner(), { db, monitor: quiet }));
    db.close();

    const db2 = openDatabase(dir);
    const runner = new FakeRunner();
    const services = createServices(runner, { db: db2, monitor: quiet });
    // The new monitor remembers nothing; the database does.
    assertEquals(services.monitor.getJob(VM1.uuid, "vda"), null);
    const [stored] = services.history!.recent(VM1.uuid, "vda");
    assertEquals(stored.phase, "canceled");
    assertEquals(stored.startedBy, "alice");
    assertEquals(stored.bandwidthBytes, 1024);
    assertStringIncludes(stored.outcome, "canceled: the chain is unchanged");

    const res = await createApp(services).request(`/api/v1/jobs?domain=${VM1.name}`);
    assertEquals(res.status, 200);
    const { jobs } = await res.json();
    assertEquals(jobs.length, 1);
    assertEquals(jobs[0].type, "pull");
    assertEquals(jobs[0].uuid, VM1.uuid);
    assertEquals(jobs[0].target, "vda");
    assertEquals(jobs[0].phase, "canceled");
    assert(Date.parse(jobs[0].finishedAt) >= Date.parse(jobs[0].startedAt));
    assertEquals(runner.calls, []);
    db2.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GET /api/v1/jobs: 400 for bad limit or domain, default 50, limit and domain by uuid", async () => {
  const db = openDatabase(":memory:");
  const runner = new FakeRunner();
  const services = createServices(runner, { db, monitor: quiet });
  for (let i = 0; i < 55; i++) await finishOne(services, i % 2 === 0 ? "vda" : "vdb");
  const app = createApp(services);
  for (
    const q of [
      "limit=0",
      "limit=501",
      "limit=abc",
      "limit=-1",
      "limit=1.5",
      "domain=",
      "domain=a%2Fb",
      "other=1",
    ]
  ) {
    const res = await app.request(`/api/v1/jobs?${q}`);
    assertEquals(res.status, 400, q);
    assertEquals((await res.json()).error.code, "invalid_input", q);
  }
  const all = (await (await app.request("/api/v1/jobs")).json()).jobs;
  assertEquals(all.length, 50);
  assert(all[0].id > all[1].id, "newest first");
  const two = (await (await app.request(`/api/v1/jobs?domain=${VM1.uuid}&limit=2`)).json()).jobs;
  assertEquals(two.length, 2);
  assertEquals(two[0].id, all[0].id);
  const none = (await (await app.request("/api/v1/jobs?domain=nosuch")).json()).jobs;
  assertEquals(none, []);
  assertEquals(runner.calls, []);
  db.close();
});

Deno.test("a row that is not a job record is refused when read, not passed on mistyped", () => {
  const db = openDatabase(":memory:");
  const history = new JobHistory(db);
  const id = history.save({
    type: "pull",
    phase: "completed",
    cur: 1,
    end: 1,
    percent: 100,
    bandwidthBytes: 0,
    rateBytesPerSecond: null,
    etaSeconds: null,
    startedAt: new Date(0).toISOString(),
    domain: VM1.name,
    uuid: VM1.uuid,
    target: "vda",
    elapsedSeconds: 0,
    finishedAt: new Date(1000).toISOString(),
    readyAt: null,
    converging: null,
    adopted: false,
    outcome: "completed",
    leftChain: [`${IMG}/snap1.qcow2`],
    updatedAt: new Date(1000).toISOString(),
  });
  assertEquals(history.get(id)?.leftChain, [`${IMG}/snap1.qcow2`]);
  db.prepare("UPDATE job_history SET phase = 'exploded' WHERE id = ?").run(id);
  assertThrows(() => history.get(id));
  db.prepare("UPDATE job_history SET phase = 'completed', left_chain = '{' WHERE id = ?").run(id);
  assertThrows(() => history.recent(VM1.uuid, "vda"));
  db.close();
});
