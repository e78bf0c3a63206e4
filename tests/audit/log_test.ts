import { assert, assertEquals, assertThrows } from "@std/assert";
import { AUDIT_CSV_COLUMNS, AuditLog } from "../../server/audit/log.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { fakeClock } from "../auth/fixture.ts";

function log() {
  const db = openDatabase(IN_MEMORY);
  const clock = fakeClock(Date.UTC(2025, 5, 1, 12, 0, 0));
  return { db, clock, audit: new AuditLog(db, { now: clock.now }) };
}

Deno.test("audit: record stores who, role, when, where, action, exact argv, result, message", () => {
  const { audit } = log();
  const entry = audit.record({
    user: "alice",
    role: "operator",
    client: "192.0.2.1",
    action: "job.pivot",
    argv: ["blockjob", "--domain", "--pivot", "--path", "vda", "--pivot"],
    result: "ok",
    message: "pivoted",
    host: "hv1",
  });
  assertEquals(entry.id, 1);
  const { entries, total } = audit.query();
  assertEquals(total, 1);
  assertEquals(entries[0], {
    id: 1,
    at: Date.UTC(2025, 5, 1, 12, 0, 0),
    user: "alice",
    role: "operator",
    client: "192.0.2.1",
    action: "job.pivot",
    argv: ["blockjob", "--domain", "--pivot", "--path", "vda", "--pivot"],
    result: "ok",
    message: "pivoted",
    count: 1,
    lastAt: Date.UTC(2025, 5, 1, 12, 0, 0),
    domain: null,
    host: "hv1",
  });
});

Deno.test("audit: refusals without argv and failures are recorded too; bad input throws", () => {
  const { audit } = log();
  audit.record({
    user: "anonymous",
    role: "none",
    client: "c",
    action: "login",
    result: "refused",
  });
  assertEquals(audit.query().entries[0].argv, null);
  assertEquals(audit.query().entries[0].message, "");
  assertThrows(() =>
    audit.record({
      user: "x",
      role: "viewer",
      client: "c",
      action: "a",
      // deno-lint-ignore no-explicit-any
      result: "maybe" as any,
    })
  );
  assertThrows(() =>
    audit.record({ user: "", role: "viewer", client: "c", action: "a", result: "ok" })
  );
});

Deno.test("audit: query filters by user, action, result, time range, and pages newest first", () => {
  const { audit, clock } = log();
  const start = clock.now();
  for (let i = 0; i < 10; i++) {
    audit.record({
      user: i % 2 ? "bob" : "alice",
      role: "operator",
      client: "c",
      action: i < 5 ? "job.copy" : "job.abort",
      argv: ["blockjob", String(i)],
      result: i % 3 === 0 ? "failed" : "ok",
    });
    clock.advance(1000);
  }
  const ids = (q: Parameters<AuditLog["query"]>[0]) => audit.query(q).entries.map((e) => e.id);
  assertEquals(ids({}), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assertEquals(ids({ user: "bob" }), [10, 8, 6, 4, 2]);
  assertEquals(ids({ action: "job.copy", user: "alice" }), [5, 3, 1]);
  assertEquals(ids({ result: "failed" }), [10, 7, 4, 1]);
  assertEquals(ids({ since: start + 3000, until: start + 6000 }), [6, 5, 4]);
  assertEquals(ids({ limit: 3, offset: 2 }), [8, 7, 6]);
  assertEquals(audit.query({ limit: 3 }).total, 10);
  assertThrows(() => audit.query({ limit: 0 }));
  assertThrows(() => audit.query({ limit: 100_000 }));
  assertThrows(() => audit.query({ offset: -1 }));
});

Deno.test("audit: there is no update or delete, and the database refuses both", () => {
  const { audit, db } = log();
  audit.record({ user: "alice", role: "admin", client: "c", action: "a", result: "ok" });
  const methods = Object.getOwnPropertyNames(AuditLog.prototype);
  assertEquals(methods.filter((m) => /update|delete|remove|clear|edit|purge/i.test(m)), []);
  assertThrows(() => db.exec("UPDATE audit SET result = 'failed'"), Error, "append-only");
  assertThrows(() => db.exec("DELETE FROM audit"), Error, "append-only");
  assertEquals(audit.query().entries[0].result, "ok");
});

Deno.test("audit: CSV export quotes per RFC 4180 and neutralises formulas", () => {
  const { audit } = log();
  audit.record({
    user: "alice",
    role: "operator",
    client: "192.0.2.1",
    action: "job.copy",
    argv: ["blockcopy", "--domain", "=cmd|' /C calc'!A0", "--path", "vda"],
    result: "failed",
    message: '=HYPERLINK("http://evil.example","click")',
  });
  audit.record({
    user: "bob",
    role: "viewer",
    client: "192.0.2.2",
    action: "@import",
    result: "refused",
    message: "-1, then\r\nmore",
  });
  const csv = audit.exportCsv();
  const lines = csv.split("\r\n");
  assertEquals(lines[0], AUDIT_CSV_COLUMNS.join(","));
  assertEquals(
    lines[1],
    `2,2025-06-01T12:00:00.000Z,bob,viewer,192.0.2.2,'@import,,refused,"'-1, then`,
  );
  assertEquals(lines[2], 'more",1,2025-06-01T12:00:00.000Z,');
  assertEquals(
    lines[3],
    `1,2025-06-01T12:00:00.000Z,alice,operator,192.0.2.1,job.copy,"[""blockcopy"",""--domain"",""=cmd|' /C calc'!A0"",""--path"",""vda""]",failed,"'=HYPERLINK(""http://evil.example"",""click"")",1,2025-06-01T12:00:00.000Z,`,
  );
  assertEquals(lines[4], "");
  assertEquals(audit.exportCsv({ user: "nobody" }), AUDIT_CSV_COLUMNS.join(",") + "\r\n");
});

Deno.test("audit: JSON export keeps argv as arrays and adds ISO time", () => {
  const { audit } = log();
  audit.record({
    user: "a",
    role: "admin",
    client: "c",
    action: "x",
    argv: ["list", "--all"],
    result: "ok",
  });
  audit.record({ user: "b", role: "admin", client: "c", action: "y", result: "ok" });
  const parsed = JSON.parse(audit.exportJson({ user: "a" }));
  assertEquals(parsed, [{
    id: 1,
    at: Date.UTC(2025, 5, 1, 12, 0, 0),
    user: "a",
    role: "admin",
    client: "c",
    action: "x",
    argv: ["list", "--all"],
    result: "ok",
    message: "",
    count: 1,
    lastAt: Date.UTC(2025, 5, 1, 12, 0, 0),
    domain: null,
    host: null,
    time: "2025-06-01T12:00:00.000Z",
    lastTime: "2025-06-01T12:00:00.000Z",
  }]);
});

Deno.test("audit: entries survive closing and reopening the database file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-audit-" });
  try {
    const first = openDatabase(dir);
    new AuditLog(first).record({
      user: "alice",
      role: "operator",
      client: "192.0.2.1",
      action: "job.abort",
      argv: ["blockjob", "--domain", "vm1", "--path", "vda", "--abort"],
      result: "ok",
    });
    first.close();
    const mode = (await Deno.stat(dir)).mode! & 0o777;
    assertEquals(mode, 0o700, "the data directory is private");
    const second = openDatabase(dir);
    const { entries } = new AuditLog(second).query();
    second.close();
    assertEquals(entries.length, 1);
    assertEquals(entries[0].argv, ["blockjob", "--domain", "vm1", "--path", "vda", "--abort"]);
    assert(entries[0].at > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
