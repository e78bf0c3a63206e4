import { assertEquals, assertThrows } from "@std/assert";
import { AuditLog } from "../../server/audit/log.ts";
import { pruneAudit } from "../../server/audit/retention.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { fakeClock } from "../auth/fixture.ts";

const DAY = 86_400_000;

function world() {
  const db = openDatabase(IN_MEMORY);
  const clock = fakeClock(Date.UTC(2025, 0, 1));
  const audit = new AuditLog(db, { now: clock.now });
  const entry = (action: string) =>
    audit.record({ user: "alice", role: "operator", client: "c", action, result: "ok" });
  return { db, clock, audit, entry };
}

const prune = (cutoff: number, at: number) => ({
  cutoff,
  at,
  actor: "root",
  client: "hv1",
  command: "deno task audit prune --older-than 90d",
});

Deno.test("retention: prune removes only entries last seen before the cutoff and audits itself", () => {
  const { db, clock, audit, entry } = world();
  entry("old");
  clock.advance(10 * DAY);
  entry("middle");
  // An aggregated refusal first seen before the cutoff but last seen after it stays.
  audit.recordRefusal({
    user: "anonymous",
    role: "none",
    client: "192.0.2.1",
    action: "POST /x",
    result: "refused",
  });
  clock.advance(50_000);
  audit.recordRefusal({
    user: "anonymous",
    role: "none",
    client: "192.0.2.1",
    action: "POST /x",
    result: "refused",
  });
  clock.advance(10 * DAY);
  entry("new");
  audit.flush();
  const cutoff = Date.UTC(2025, 0, 11) + 10_000;
  const removed = pruneAudit(db, prune(cutoff, clock.now()));
  assertEquals(removed, 2);
  const { entries } = audit.query();
  assertEquals(entries.map((e) => e.action), ["audit.prune", "new", "POST /x"]);
  const [record] = entries;
  assertEquals(record.user, "root");
  assertEquals(record.role, "host", "a shell user, not a blockboard account");
  assertEquals(record.client, "hv1");
  assertEquals(record.result, "ok");
  assertEquals(record.at, clock.now());
  assertEquals(record.argv, null, "argv holds virsh calls only");
  assertEquals(
    record.message,
    "removed 2 entries last seen before 2025-01-11T00:00:10.000Z | " +
      "deno task audit prune --older-than 90d",
  );
});

Deno.test("retention: without the permission the database still refuses every delete and update", () => {
  const { db, entry } = world();
  entry("a");
  assertThrows(() => db.exec("DELETE FROM audit"), Error, "append-only");
  assertThrows(() => db.exec("UPDATE audit SET message = 'x'"), Error, "append-only");
});

Deno.test("retention: even with the permission, newer rows and updates are refused", () => {
  const { db, clock, entry } = world();
  entry("a");
  const cutoff = clock.now() - DAY; // the entry is newer than the cutoff
  db.exec("BEGIN");
  db.prepare(
    "INSERT INTO audit_retention (id, cutoff, at, actor, client, command) VALUES (1, ?, 0, 'x', 'y', 'z')",
  ).run(cutoff);
  assertThrows(() => db.exec("DELETE FROM audit"), Error, "append-only");
  assertThrows(() => db.exec("UPDATE audit SET message = 'x'"), Error, "append-only");
  assertThrows(
    () => db.exec("UPDATE audit_retention SET cutoff = 9e15"),
    Error,
    "cannot be changed",
  );
  db.exec("ROLLBACK");
});

Deno.test("retention: a permission cannot be committed, so it never outlives its transaction", () => {
  const { db, clock, audit, entry } = world();
  entry("a");
  clock.advance(10 * DAY);
  const insert = "INSERT INTO audit_retention (id, cutoff, at, actor, client, command) " +
    `VALUES (1, ${clock.now()}, 0, 'x', 'y', 'z')`;
  // Outside a transaction the statement itself is its transaction: refused at once.
  assertThrows(() => db.exec(insert), Error, "FOREIGN KEY");
  db.exec("BEGIN");
  db.exec(insert);
  db.exec("DELETE FROM audit");
  assertThrows(() => db.exec("COMMIT"), Error, "FOREIGN KEY");
  db.exec("ROLLBACK");
  assertEquals(audit.query().entries.map((e) => e.action), ["a"]);
  assertThrows(
    () => db.exec("INSERT INTO audit_retention_never (id) VALUES (0)"),
    Error,
    "stays empty",
  );
});

Deno.test("retention: the database refuses a cutoff less than a day ago", () => {
  const { db } = world();
  assertThrows(() => pruneAudit(db, prune(Date.now(), Date.now())), Error, "at least one day ago");
  assertEquals(pruneAudit(db, prune(Date.now() - 2 * DAY, Date.now())), 0);
});

Deno.test("retention: AuditLog itself still has no way to remove or edit entries", () => {
  const methods = Object.getOwnPropertyNames(AuditLog.prototype);
  assertEquals(methods.filter((m) => /update|delete|remove|clear|edit|purge|prune/i.test(m)), []);
});
