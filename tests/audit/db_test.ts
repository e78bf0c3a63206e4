import { assertEquals, assertThrows } from "@std/assert";
import { DATABASE_FILE, openDatabase, SCHEMA_VERSION } from "../../server/db.ts";

Deno.test("db: a file database uses WAL, is migrated once and refuses newer schemas", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-db-" });
  try {
    const db = openDatabase(`${dir}/nested/data`);
    assertEquals(
      (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
      "wal",
    );
    assertEquals(
      (db.prepare("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys,
      1,
    );
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name).filter((n) => n !== "sqlite_sequence");
    assertEquals(tables, [
      "audit",
      "audit_retention",
      "audit_retention_never",
      "job_history",
      "login_failures",
      "moves",
      "sessions",
      "tokens",
      "users",
    ]);
    db.close();
    const file = await Deno.stat(`${dir}/nested/data/${DATABASE_FILE}`);
    assertEquals(file.mode! & 0o777, 0o600);

    const again = openDatabase(`${dir}/nested/data`);
    assertEquals(
      (again.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      SCHEMA_VERSION,
    );
    again.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    again.close();
    assertThrows(() => openDatabase(`${dir}/nested/data`), Error, "newer than this blockboard");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
