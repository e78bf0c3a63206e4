/**
 * The real engine through the host-wide queue, on running lab domains: with `--max-moves 1` a
 * second move waits `planned` (nothing written) until the first is done, can be taken out of the
 * queue while it waits, and then runs by itself; the `--bandwidth-budget` caps a move's mirror
 * when its own limit is higher (or none), and a lower own limit wins.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, uniqueName } from "../lab/lab.ts";
import { moveLab, waitMove } from "./lab_harness.ts";
import { openDatabase } from "../../server/db.ts";
import { SqliteMoveStore } from "../../server/moves/store.ts";
import { MoveQueue } from "../../server/moves/queue.ts";

const MiB = 1048576;
const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test(
  "queue: one move at a time, the next waits planned and starts by itself; the budget caps the mirror",
  {
    sanitizeOps: false,
    sanitizeResources: false,
  },
  async () => {
    await using a = await createLabDomain({ name: uniqueName("bbmw-") });
    await using b = await createLabDomain({
      name: uniqueName("bbmw-"),
      disks: [{ target: "vda", layers: 2 }],
    });
    const runner = new SpawnRunner({ uri: LAB_URI });
    const services = createServices(runner, {
      inventoryCacheMs: 0,
      storageRoots: [a.dir, b.dir],
      moveQueue: { maxRunning: 1, bandwidthBudget: 4 * MiB },
    });
    await services.monitor.start();
    const { moves, moveQueue: queue } = services;
    try {
      const first = await moves.start(a.uuid, { destDir: `${a.dir}/moved`, pivot: "manual" });
      const waiting = await moves.start(b.uuid, { destDir: `${b.dir}/moved`, pivot: "auto" });
      assertEquals(queue.snapshot().running, [first.id]);
      assertEquals(queue.snapshot().waiting, [waiting.id]);
      assertEquals(queue.place(waiting.id), { kind: "waiting", position: 1, of: 1 });
      // Taken out while waiting: canceled, nothing was written.
      const canceled = await moves.cancel(waiting.id);
      assertEquals(canceled.state, "canceled");
      assertEquals(canceled.message, "Canceled while waiting in the queue: nothing was written.");
      assertEquals(queue.snapshot().waiting, []);
      assertEquals(await exists(`${b.dir}/moved`), false);

      // Queued again, with an own limit below the budget.
      const second = await moves.start(b.uuid, {
        destDir: `${b.dir}/moved`,
        pivot: "auto",
        bandwidthBytes: MiB,
      });
      const ready = await waitMove(moves, first.id, ["ready"]);
      // No own limit: the budget (shared by one running move) caps the mirror.
      assertEquals(ready.disks[0].job?.bandwidthBytes, 4 * MiB);
      assertEquals(services.monitor.getJob(a.uuid, "vda")?.bandwidthBytes, 4 * MiB);
      const still = moves.get(second.id)!;
      assertEquals(still.state, "planned", "the second move waits while the first holds the slot");
      assert(still.disks[0].layers.every((l) => l.state === "pending"));
      assertEquals(await exists(`${b.dir}/moved`), false, "a waiting move writes nothing");

      await moves.pivot(first.id);
      await waitMove(moves, first.id, ["done"]);
      // The slot is free: the second move runs by itself, at its own (lower) limit.
      const mirroring = await waitMove(moves, second.id, [
        "mirroring",
        "ready",
        "pivoting",
        "done",
      ]);
      assertEquals(queue.snapshot().waiting, []);
      const done = await waitMove(moves, second.id, ["done"]);
      assertEquals(done.disks[0].job?.bandwidthBytes, MiB);
      assert(mirroring.bandwidthBytes === MiB);
      assertEquals(queue.snapshot().running, []);
    } finally {
      await moves.detach();
      await services.monitor.stop();
    }
  },
);

Deno.test("queue across a restart: the running move resumes first, the waiting one waits again", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "bbmw-db-" });
  const db1 = openDatabase(dataDir);
  await using lab = await moveLab({ store: new SqliteMoveStore(db1), queue: new MoveQueue() });
  await using a = await createLabDomain({ name: uniqueName("bbmw-") });
  await using b = await createLabDomain({
    name: uniqueName("bbmw-"),
    disks: [{ target: "vda", layers: 2 }],
  });
  const first = await lab.engine.start(a.uuid, {
    destDir: `${a.dir}/moved`,
    pivot: "manual",
    bandwidthBytes: 2 * MiB,
  });
  const second = await lab.engine.start(b.uuid, { destDir: `${b.dir}/moved`, pivot: "auto" });
  await waitMove(lab.engine, first.id, ["copying", "mirroring", "ready"]);
  assertEquals(lab.engine.get(second.id)!.state, "planned");
  await lab.engine.detach(); // blockboard stops: the waiting move stays planned
  assertEquals(lab.engine.get(second.id)!.state, "planned");
  db1.close();

  const db2 = openDatabase(dataDir);
  const queue = new MoveQueue();
  const { engine } = await lab.restart({ store: new SqliteMoveStore(db2), queue });
  await engine.resume();
  assertEquals(queue.snapshot().running, [first.id], "the move that ran resumes first");
  assertEquals(queue.snapshot().waiting, [second.id]);
  await waitMove(engine, first.id, ["ready"]);
  assertEquals(engine.get(second.id)!.state, "planned");
  await engine.pivot(first.id);
  await waitMove(engine, first.id, ["done"]);
  await waitMove(engine, second.id, ["done"]);
  assertEquals(queue.snapshot(), {
    maxRunning: 1,
    bandwidthBudget: null,
    running: [],
    waiting: [],
  });
  db2.close();
  await Deno.remove(dataDir, { recursive: true });
});
