/**
 * The queue's order survives a restart: two real moves wait behind a held slot, an operator moves
 * the older one down, blockboard stops; a second engine over the same database queues them again
 * in the operator's order (not the start order). And {@link resumeOrder} table-tested.
 */
import { assertEquals } from "../std_assert.ts";
import { createLabDomain, uniqueName } from "../lab/lab.ts";
import { moveLab } from "./lab_harness.ts";
import { openDatabase } from "../../server/db.ts";
import { type MoveRecord, SqliteMoveStore } from "../../server/moves/store.ts";
import { MoveQueue } from "../../server/moves/queue.ts";
import { resumeOrder } from "../../server/moves/engine.ts";
import type { MoveState } from "../../server/moves/model.ts";

Deno.test("resumeOrder: started moves first, then waiting ones by saved rank, then by age", () => {
  const r = (id: string, state: MoveState, startedAt: string, queueRank?: number) =>
    ({ move: { id, state, startedAt }, queueRank }) as unknown as MoveRecord;
  const records = [
    r("w-rank1", "planned", "2026-01-01", 1),
    r("w-none", "planned", "2026-01-00"),
    r("run-new", "mirroring", "2026-01-05", 0),
    r("w-rank0", "planned", "2026-01-09", 0),
    r("run-old", "copying", "2026-01-02"),
    r("w-none-older", "planned", "2025-12-31"),
  ];
  assertEquals(records.sort(resumeOrder).map((x) => x.move.id), [
    "run-old",
    "run-new",
    "w-rank0",
    "w-rank1",
    "w-none-older",
    "w-none",
  ]);
});

Deno.test("the waiting moves' Up/Down order survives a restart", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bbmm-db-" });
  const held = () => {
    // The one slot is held by something else: every move waits, nothing is written.
    const queue = new MoveQueue({ maxRunning: 1 });
    const { promise, resolve } = Promise.withResolvers<void>();
    queue.enqueue("holder", () => promise);
    return { queue, release: resolve };
  };
  const first = held();
  const db1 = openDatabase(dataDir);
  await using lab = await moveLab(
    { store: new SqliteMoveStore(db1), queue: first.queue },
    "bbmm-",
  );
  await using a = await createLabDomain({ name: uniqueName("bbmm-q-") });
  await using b = await createLabDomain({ name: uniqueName("bbmm-q-") });
  try {
    const older = await lab.engine.start(a.uuid, { destDir: `${a.dir}/moved` });
    const newer = await lab.engine.start(b.uuid, { destDir: `${b.dir}/moved` });
    assertEquals(first.queue.snapshot().waiting, [older.id, newer.id]);
    first.queue.moveDown(older.id);
    assertEquals(first.queue.snapshot().waiting, [newer.id, older.id]);
    await lab.engine.detach(); // blockboard stops
    db1.close();

    const second = held();
    const db2 = openDatabase(dataDir);
    const { engine } = await lab.restart({ store: new SqliteMoveStore(db2), queue: second.queue });
    await engine.resume();
    assertEquals(second.queue.snapshot().waiting, [newer.id, older.id], "the operator's order");
    // Reordered again after the restart: saved again.
    second.queue.moveUp(older.id);
    const ranks = db2.prepare("SELECT id, record FROM moves").all() as {
      id: string;
      record: string;
    }[];
    assertEquals(
      Object.fromEntries(ranks.map((row) => [row.id, JSON.parse(row.record).queueRank])),
      { [older.id]: 0, [newer.id]: 1 },
    );
    for (const id of [older.id, newer.id]) {
      assertEquals((await engine.cancel(id)).state, "canceled");
    }
    second.release();
    db2.close();
  } finally {
    first.release();
    await Deno.remove(dataDir, { recursive: true });
  }
});
