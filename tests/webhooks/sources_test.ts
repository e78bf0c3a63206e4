/**
 * One notifier over the whole control plane (`watchControlPlane`): job events of every host
 * carry their host, migrations announce started/completed/failed/aborted with their source as
 * host, storage moves started/ready/done/failed/canceled; the same signing, queue and audit.
 * Scripted runners and stand-ins; the lab test (`tests/metrics/lab_hosts_metrics_test.ts`) shows
 * a real job on a namespaced host.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { AuditLog } from "../../server/audit/log.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { WebhookNotifier } from "../../server/webhooks/notifier.ts";
import { watchControlPlane } from "../../server/webhooks/sources.ts";
import type { WebhookPayload } from "../../server/webhooks/event.ts";
import { moveEventsOf } from "../../server/moves/events.ts";
import {
  copyingMigration,
  moveIn,
  runningJob,
  scriptedRegistry,
  StubMigrations,
  StubMoves,
} from "../support/control_plane.ts";
import { startReceiver } from "./receiver.ts";

const SECRET = "webhook-secret-for-tests";
const UUID1 = "0b6f1c44-5a0e-4d7e-9d59-2a1c1e0b7a01";
const UUID2 = "0b6f1c44-5a0e-4d7e-9d59-2a1c1e0b7a02";

Deno.test("moveEventsOf: the moments of a move's state changes (table)", () => {
  const cases: [
    Parameters<typeof moveEventsOf>[0],
    Parameters<typeof moveEventsOf>[1],
    string[],
  ][] = [
    [undefined, "planned", ["started"]],
    [undefined, "copying", ["started"]],
    [undefined, "ready", ["started", "ready"]],
    [undefined, "canceled", ["canceled"]],
    ["planned", "copying", []],
    ["copying", "copying", []],
    ["mirroring", "ready", ["ready"]],
    ["ready", "pivoting", []],
    ["pivoting", "done", ["done"]],
    ["copying", "failed", ["failed"]],
    ["ready", "canceled", ["canceled"]],
    ["failed", "failed", []],
    ["done", "failed", []],
  ];
  for (const [before, now, kinds] of cases) {
    assertEquals(moveEventsOf(before, now), kinds, `${before} → ${now}`);
  }
});

Deno.test("every host's jobs, the migrations and the moves reach one receiver, signed, with their host", async () => {
  await using receiver = startReceiver(SECRET);
  const { registry } = scriptedRegistry({ local: () => "", hv2: () => "", hv3: () => "" });
  const audit = new AuditLog(openDatabase(IN_MEMORY));
  const notifier = new WebhookNotifier({ urls: [receiver.url], secret: SECRET, audit });
  const migrations = new StubMigrations();
  const stop = watchControlPlane(notifier, registry, migrations);
  try {
    await registry.started("hv3"); // resolved: the monitors were not started
    await Promise.resolve();
    const hv2 = registry.get("hv2")!.services;
    const hv3 = registry.get("hv3")!.services;
    const ref = runningJob(hv2, UUID1, "db-1");
    hv2.monitor.book.finish(ref, "completed");
    runningJob(hv3, UUID2, "web-3", { type: "pull" });
    const m = copyingMigration("web-1", "local", "hv2");
    migrations.emit("started", m);
    migrations.emit("completed", { ...m, phase: "completed" });
    migrations.emit("failed", { ...m, phase: "failed" });
    migrations.emit("aborted", { ...m, phase: "aborted" });
    const moves = new StubMoves();
    const stopMoves = notifier.watchMoves("hv3", moves);
    const move = moveIn("web-3", "planned");
    moves.change(move, "copying");
    moves.change(move, "copying"); // a progress tick: nothing to say
    moves.change(move, "ready");
    moves.change(move, "done");
    const canceled = moveIn("web-4", "planned");
    moves.change(canceled, "mirroring");
    moves.change(canceled, "canceled");
    const failed = moveIn("web-5", "planned");
    moves.change(failed, "copying");
    moves.change(failed, "failed");
    stopMoves();
    await notifier.idle();

    const bodies = receiver.received.map((r) => JSON.parse(r.body) as WebhookPayload);
    assert(receiver.received.every((r) => r.signatureValid), "a signature did not verify");
    assertEquals(receiver.received.map((r) => r.event), bodies.map((b) => b.event));
    assertEquals(bodies.map((b) => [b.event, b.host]), [
      ["started", "hv2"],
      ["completed", "hv2"],
      ["started", "hv3"],
      ["migration.started", "local"],
      ["migration.completed", "local"],
      ["migration.failed", "local"],
      ["migration.aborted", "local"],
      ["move.started", "hv3"],
      ["move.ready", "hv3"],
      ["move.done", "hv3"],
      ["move.started", "hv3"],
      ["move.canceled", "hv3"],
      ["move.started", "hv3"],
      ["move.failed", "hv3"],
    ]);
    const job = bodies[0];
    assert("job" in job);
    assertEquals(job.job.host, "hv2");
    assertEquals(job.job.domain, "db-1");
    const migration = bodies[4];
    assert("migration" in migration);
    assertEquals(Object.keys(migration).sort(), ["at", "event", "host", "migration"]);
    assertEquals([migration.migration.to, migration.migration.phase], ["hv2", "completed"]);
    const done = bodies[9];
    assert("move" in done);
    assertEquals(Object.keys(done).sort(), ["at", "event", "host", "move"]);
    assertEquals([done.move.id, done.move.state], [move.id, "done"]);
    assertEquals(audit.query({}).total, 0);
  } finally {
    stop();
    await notifier.close();
    await registry.stop();
  }
  // Unsubscribed: nothing more is announced.
  assertEquals(migrations.listeners.size, 0);
});

Deno.test("a migration event not delivered is audited naming the migration and its hosts", async () => {
  await using receiver = startReceiver(SECRET, () => 400);
  const audit = new AuditLog(openDatabase(IN_MEMORY));
  const notifier = new WebhookNotifier({ urls: [receiver.url], secret: SECRET, audit });
  const migrations = new StubMigrations();
  notifier.watchMigrations(migrations);
  migrations.emit("failed", { ...copyingMigration("web-1", "local", "hv2"), phase: "failed" });
  await notifier.idle();
  const { entries } = audit.query({});
  assertEquals(entries.length, 1);
  assertEquals([entries[0].action, entries[0].domain], ["webhook.delivery", "web-1"]);
  assertStringIncludes(
    entries[0].message,
    "migration.failed of the migration of web-1 from local to hv2 at ",
  );
  assertStringIncludes(entries[0].message, "after 1 attempt(s): HTTP 400");
  await notifier.close();
});
