import { assert, assertEquals } from "@std/assert";
import { AuditLog } from "../../server/audit/log.ts";
import { VARIOUS_ACTION } from "../../server/audit/aggregate.ts";
import { type Database, IN_MEMORY, openDatabase } from "../../server/db.ts";
import { fakeClock } from "../auth/fixture.ts";

const refusal = (client = "192.0.2.1", action = "POST /api/v1/domains/vm1/disks/vda/pull") => ({
  user: "anonymous",
  role: "none",
  client,
  action,
  result: "refused" as const,
  message: "401 sign in first",
});

/** Rows actually in the table (no flush, unlike `query`). */
const rows = (db: Database) =>
  (db.prepare("SELECT COUNT(*) AS n FROM audit").get() as { n: number }).n;

function world(options: ConstructorParameters<typeof AuditLog>[1] = {}) {
  const db = openDatabase(IN_MEMORY);
  const clock = fakeClock(Date.UTC(2025, 0, 1));
  return { db, clock, audit: new AuditLog(db, { now: clock.now, ...options }) };
}

Deno.test("refusals: a flood of equal refusals becomes one row with a count and first/last time", () => {
  const { db, clock, audit } = world();
  const start = clock.now();
  for (let i = 0; i < 1000; i++) {
    audit.recordRefusal(refusal());
    clock.advance(50);
  }
  assertEquals(rows(db), 0, "nothing is written per request");
  const { entries, total } = audit.query();
  assertEquals(total, 1);
  assertEquals(entries[0].count, 1000);
  assertEquals(entries[0].at, start);
  assertEquals(entries[0].lastAt, start + 999 * 50);
  assertEquals(entries[0].argv, null);
});

Deno.test("refusals: a new row starts when the window has passed", () => {
  const { clock, audit } = world({ windowMs: 60_000 });
  for (let i = 0; i < 150; i++) {
    audit.recordRefusal(refusal());
    clock.advance(1000);
  }
  assertEquals(audit.query().entries.map((e) => e.count), [30, 60, 60]);
});

Deno.test("refusals: clients, actions, results and messages keep their own rows", () => {
  const { audit } = world();
  audit.recordRefusal(refusal("192.0.2.1"));
  audit.recordRefusal(refusal("192.0.2.2"));
  audit.recordRefusal(refusal("192.0.2.1", "POST /api/v1/terminal"));
  audit.recordRefusal({ ...refusal(), result: "failed" });
  audit.recordRefusal({ ...refusal(), message: "403 cross-site" });
  audit.recordRefusal(refusal("192.0.2.1"));
  assertEquals(audit.query().entries.map((e) => e.count).sort(), [1, 1, 1, 1, 2]);
});

Deno.test("refusals: random paths from one client (or one IPv6 /64) cannot multiply the rows", () => {
  const { audit } = world({ maxKindsPerClient: 16 });
  for (let i = 0; i < 500; i++) {
    audit.recordRefusal(refusal(`2001:db8:1:2::${(i % 97).toString(16)}`, `POST /r${i}`));
  }
  const { entries } = audit.query();
  assertEquals(entries.length, 17);
  const various = entries.find((e) => e.action === VARIOUS_ACTION)!;
  assertEquals(various.count, 500 - 16);
  assertEquals(various.client, "2001:db8:1:2::/64");
  assertEquals(entries.reduce((n, e) => n + e.count, 0), 500);
});

Deno.test("refusals: the buffer is written in one batch once it holds N rows", () => {
  const { db, audit } = world({ maxGroups: 10 });
  for (let i = 0; i < 9; i++) audit.recordRefusal(refusal(`192.0.2.${i}`));
  assertEquals(rows(db), 0);
  audit.recordRefusal(refusal("192.0.2.200"));
  assertEquals(rows(db), 10);
  assertEquals(audit.pending, 0);
});

Deno.test("refusals: the timer writes closed rows by itself, about once a second", async () => {
  const db = openDatabase(IN_MEMORY);
  const audit = new AuditLog(db, { windowMs: 20, flushIntervalMs: 10 });
  audit.recordRefusal(refusal());
  assertEquals(rows(db), 0);
  for (let i = 0; i < 100 && rows(db) === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assertEquals(rows(db), 1);
  assertEquals(audit.pending, 0);
  audit.close();
});

Deno.test("refusals: close() writes what is buffered, and later refusals are written at once", () => {
  const { db, audit } = world();
  audit.recordRefusal(refusal());
  audit.recordRefusal(refusal());
  audit.close();
  assertEquals(rows(db), 1);
  audit.recordRefusal(refusal());
  assertEquals(rows(db), 2);
  assert(audit.query().entries.every((e) => e.result === "refused"));
});

Deno.test("refusals: reads see buffered refusals, in time order with immediate entries", () => {
  const { clock, audit } = world();
  audit.recordRefusal(refusal());
  clock.advance(1000);
  audit.record({ user: "alice", role: "operator", client: "c", action: "job.pivot", result: "ok" });
  // The refusal is written after the pivot but happened before it.
  assertEquals(audit.query().entries.map((e) => e.action), [
    "job.pivot",
    refusal().action,
  ]);
  assert(audit.exportCsv().includes("401 sign in first"));
});

Deno.test("refusals: a failed batch write neither throws on the request path nor loses the rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-audit-busy-" });
  const db = openDatabase(dir);
  const other = openDatabase(dir);
  const audit = new AuditLog(db, { maxGroups: 2 });
  const errors: unknown[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    db.exec("PRAGMA busy_timeout = 0");
    // Another connection holds the write lock, as a prune does while it runs.
    other.exec("BEGIN IMMEDIATE");
    audit.recordRefusal(refusal("192.0.2.1"));
    audit.recordRefusal(refusal("192.0.2.2")); // the buffer is full: the write fails quietly
    assertEquals(errors.length, 1);
    other.exec("COMMIT");
    assertEquals(rows(db), 0);
    audit.flush();
    assertEquals(rows(db), 2, "kept and written on the next attempt");
  } finally {
    console.error = consoleError;
    audit.close();
    db.close();
    other.close();
    await Deno.remove(dir, { recursive: true });
  }
});
