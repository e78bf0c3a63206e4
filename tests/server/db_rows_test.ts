/** The typed row reader: rows of the declared shape pass, anything else fails at the row. */
import { assertEquals, assertThrows } from "@std/assert";
import { DatabaseSync } from "node:sqlite";
import { countRow, rowReader } from "../../server/db_rows.ts";

const reader = rowReader("t row", { id: "integer", name: "text", note: "text?", w: "real" });

Deno.test("rows read from SQLite pass with their values; extra columns are dropped", () => {
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE t (id INTEGER, name TEXT, note TEXT, w REAL, extra TEXT)");
  db.prepare("INSERT INTO t VALUES (1, 'a', NULL, 0.5, 'x'), (2, 'b', 'n', 2, 'y')").run();
  assertEquals(reader.all(db.prepare("SELECT * FROM t ORDER BY id").all()), [
    { id: 1, name: "a", note: null, w: 0.5 },
    { id: 2, name: "b", note: "n", w: 2 },
  ]);
  assertEquals(reader.one(db.prepare("SELECT * FROM t WHERE id = 9").get()), undefined);
  assertEquals(countRow.check(db.prepare("SELECT COUNT(*) AS n FROM t").get()).n, 2);
});

Deno.test("a wrong type, a null in a NOT NULL column or a missing column throws, naming it", () => {
  assertThrows(() => reader.check({ id: "1", name: "a", note: null, w: 1 }), TypeError, "id");
  assertThrows(() => reader.check({ id: 1.5, name: "a", note: null, w: 1 }), TypeError, "id");
  assertThrows(() => reader.check({ id: 1, name: null, note: null, w: 1 }), TypeError, "name");
  assertThrows(() => reader.check({ id: 1, name: "a", w: 1 }), TypeError, "note");
  assertThrows(() => reader.check(null), TypeError, "not a row");
  assertThrows(() => countRow.check(undefined), TypeError);
});
