import { assertEquals, assertThrows } from "@std/assert";
import {
  allowanceOf,
  type MoveLease,
  MoveQueue,
  MoveQueueConflictError,
  type QueueChange,
  shareOf,
} from "../../server/moves/queue.ts";

/** A run the test ends by hand; records its lease and the allowances it heard. */
function manualRun() {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const state = {
    lease: null as MoveLease | null,
    heard: [] as (number | null)[],
    started: false,
    run: (lease: MoveLease) => {
      state.lease = lease;
      state.started = true;
      lease.onBandwidthChange((b) => state.heard.push(b));
      return promise;
    },
    finish: resolve,
    fail: reject,
  };
  return state;
}

/** Lets the queue's `finally` handlers run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("shareOf and allowanceOf at their boundaries", () => {
  for (
    const [budget, running, want] of [
      [null, 3, null],
      [100, 0, 100],
      [100, 1, 100],
      [100, 3, 33],
      [2, 3, 1], // never 0: a move always moves
    ] as const
  ) {
    assertEquals(shareOf(budget, running), want, `${budget}/${running}`);
  }
  for (
    const [own, share, want] of [
      [null, null, null],
      [50, null, 50],
      [null, 40, 40],
      [50, 40, 40],
      [30, 40, 30],
    ] as const
  ) {
    assertEquals(allowanceOf(own, share), want, `${own}/${share}`);
  }
});

Deno.test("one at a time by default: the next starts when the first ends", async () => {
  const q = new MoveQueue();
  const a = manualRun(), b = manualRun(), c = manualRun();
  q.enqueue("a", a.run);
  q.enqueue("b", b.run);
  q.enqueue("c", c.run);
  assertEquals([a.started, b.started, c.started], [true, false, false]);
  assertEquals(q.place("a"), { kind: "running" });
  assertEquals(q.place("b"), { kind: "waiting", position: 1, of: 2 });
  assertEquals(q.place("c"), { kind: "waiting", position: 2, of: 2 });
  assertEquals(q.place("zzz"), { kind: "absent" });
  a.finish();
  await settle();
  assertEquals([b.started, c.started], [true, false]);
  assertEquals(q.snapshot().running, ["b"]);
  // A failing run frees its slot too, and is reported.
  const errors: string[] = [];
  const q2 = new MoveQueue({ onRunError: (id) => errors.push(id) });
  const d = manualRun(), e = manualRun();
  q2.enqueue("d", d.run);
  q2.enqueue("e", e.run);
  d.fail(new Error("boom"));
  await settle();
  assertEquals(errors, ["d"]);
  assertEquals(e.started, true);
  b.finish();
  c.finish();
  e.finish();
  await settle();
});

Deno.test("a run that throws synchronously frees its slot", async () => {
  const errors: string[] = [];
  const q = new MoveQueue({ onRunError: (id) => errors.push(id) });
  const b = manualRun();
  q.enqueue("a", () => {
    throw new Error("sync");
  });
  q.enqueue("b", b.run);
  await settle();
  assertEquals(errors, ["a"]);
  assertEquals(b.started, true);
  b.finish();
  await settle();
});

Deno.test("max-moves 2: two run, the third waits; cancel, up and down reorder the waiting", async () => {
  const q = new MoveQueue({ maxRunning: 2 });
  const runs = Object.fromEntries(["a", "b", "c", "d", "e"].map((id) => [id, manualRun()]));
  const changes: QueueChange[] = [];
  q.onChange((ch) => changes.push(ch));
  for (const [id, r] of Object.entries(runs)) q.enqueue(id, r.run);
  assertEquals(q.snapshot().running, ["a", "b"]);
  assertEquals(q.snapshot().waiting, ["c", "d", "e"]);
  assertEquals(q.moveUp("e"), true);
  assertEquals(q.snapshot().waiting, ["c", "e", "d"]);
  assertEquals(q.moveUp("c"), true, "already first: no change, no error");
  assertEquals(q.moveDown("d"), true, "already last");
  assertEquals(q.snapshot().waiting, ["c", "e", "d"]);
  assertEquals(q.moveDown("c"), true);
  assertEquals(q.snapshot().waiting, ["e", "c", "d"]);
  assertEquals(q.moveUp("a"), false, "a running move has no place to change");
  assertEquals(q.cancel("a"), false, "a running move is canceled by the engine");
  assertEquals(q.cancel("c"), true);
  assertEquals(q.cancel("c"), false);
  assertEquals(q.snapshot().waiting, ["e", "d"]);
  assertEquals(changes.every((ch) => ch.kind === "order"), true);
  runs.b.finish();
  await settle();
  assertEquals(q.snapshot().running, ["a", "e"]);
  assertEquals(runs.c.started, false, "a canceled move never runs");
  runs.a.finish();
  await settle();
  assertEquals(q.snapshot().running, ["e", "d"]);
  runs.e.finish();
  runs.d.finish();
  await settle();
  assertEquals(q.snapshot(), { maxRunning: 2, bandwidthBudget: null, running: [], waiting: [] });
});

Deno.test("the same id twice is a conflict; front puts a resumed move first", async () => {
  const q = new MoveQueue();
  const a = manualRun(), b = manualRun(), c = manualRun();
  q.enqueue("a", a.run);
  q.enqueue("b", b.run);
  assertThrows(() => q.enqueue("a", a.run), MoveQueueConflictError, "already in the queue");
  assertThrows(() => q.enqueue("b", b.run), MoveQueueConflictError);
  q.enqueue("c", c.run, { front: true });
  assertEquals(q.snapshot().waiting, ["c", "b"]);
  a.finish();
  await settle();
  assertEquals(c.started, true);
  c.finish();
  await settle();
  b.finish();
  await settle();
});

Deno.test("the budget is shared by running moves and re-shared as they start and end", async () => {
  const q = new MoveQueue({ maxRunning: 3, bandwidthBudget: 300 });
  const changes: QueueChange[] = [];
  q.onChange((ch) => ch.kind === "bandwidth" && changes.push(ch));
  const a = manualRun(), b = manualRun(), c = manualRun();
  q.enqueue("a", a.run);
  assertEquals(a.lease!.bandwidth(), 300);
  q.enqueue("b", b.run, { bandwidthBytes: 100 });
  // a's share halves; b keeps its own smaller limit.
  assertEquals(a.heard, [150]);
  assertEquals(a.lease!.bandwidth(), 150);
  assertEquals(b.lease!.bandwidth(), 100);
  q.enqueue("c", c.run);
  assertEquals(a.heard, [150, 100]);
  assertEquals(b.heard, [], "b's own limit is still the smaller: nothing changed for it");
  assertEquals(c.lease!.bandwidth(), 100);
  assertEquals(q.bandwidthOf("c"), 100);
  assertEquals(q.bandwidthOf("nope"), undefined);
  b.finish();
  await settle();
  assertEquals(a.heard, [150, 100, 150]);
  assertEquals(c.heard, [150]);
  // The operator lowers a's own limit.
  assertEquals(q.setOwnLimit("a", 50), true);
  assertEquals(a.heard.at(-1), 50);
  assertEquals(q.setOwnLimit("b", 1), false, "b has finished");
  assertEquals(
    changes.map((ch) => ch.kind === "bandwidth" ? [ch.id, ch.bytesPerSecond] : null),
    [["a", 150], ["a", 100], ["a", 150], ["c", 150], ["a", 50]],
  );
  a.finish();
  c.finish();
  await settle();
});

Deno.test("a waiting move's allowance is what it would get on starting", async () => {
  const q = new MoveQueue({ maxRunning: 1, bandwidthBudget: 1000 });
  const a = manualRun();
  q.enqueue("a", a.run, { bandwidthBytes: 2000 });
  q.enqueue("b", manualRun().run, { bandwidthBytes: 200 });
  assertEquals(q.bandwidthOf("a"), 1000);
  assertEquals(q.bandwidthOf("b"), 200);
  // No budget and no own limit: nothing limits it.
  const open = new MoveQueue();
  open.enqueue("x", manualRun().run);
  assertEquals(open.bandwidthOf("x"), null);
  q.cancel("b");
  a.finish();
  await settle();
});

Deno.test("bad limits are refused", () => {
  assertThrows(() => new MoveQueue({ maxRunning: 0 }), RangeError);
  assertThrows(() => new MoveQueue({ maxRunning: 1.5 }), RangeError);
  assertThrows(() => new MoveQueue({ bandwidthBudget: 0 }), RangeError);
});
