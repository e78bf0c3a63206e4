/**
 * What the monitor adds for history and the change feed: the generation moves on start and end
 * (not at ready); a finished pivot's chain is read once to name the files that left it; the job
 * goes to the store once, and a late event rewrites the same row.
 */
import { assertEquals } from "@std/assert";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobHistory } from "../../server/jobs/history.ts";
import { openDatabase } from "../../server/db.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { fixture, IMG, VM1 } from "./fixtures.ts";

const CHAIN = [`${IMG}/snap2.qcow2`, `${IMG}/snap1.qcow2`, `${IMG}/base.qcow2`];

Deno.test("a pivoted copy names the files that left the chain, bumps the feed and is stored once", async () => {
  const db = openDatabase(":memory:");
  const store = new JobHistory(db);
  const runner = new FakeRunner((args) => {
    if (args[0] === "dumpxml") return fixture("dumpxml-after-pivot.xml");
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  const monitor = new JobMonitor(runner, { sampling: false, events: false, store });
  const g0 = monitor.generation;
  monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target: "vda",
    type: "copy",
    bandwidthBytes: 0,
    dest: `${IMG}/copy.qcow2`,
    source: CHAIN[0],
    chain: CHAIN,
    startedBy: "alice",
  });
  monitor.book.confirm({ uuid: VM1.uuid, target: "vda" });
  const started = monitor.changesSince(g0);
  assertEquals(started.disks, [{ uuid: VM1.uuid, target: "vda" }]);
  assertEquals(monitor.changesSince(started.generation).disks, []);

  // Ready is left to the card's own poll: a feed swap would race a click on Pivot.
  monitor.book.markReady({ uuid: VM1.uuid, target: "vda" });
  const ready = monitor.changesSince(started.generation);
  assertEquals(ready.disks, []);

  monitor.book.finish({ uuid: VM1.uuid, target: "vda" }, "pivoted");
  await monitor.settled({ uuid: VM1.uuid, target: "vda" });
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.leftChain, CHAIN);
  assertEquals(runner.count("dumpxml"), 1);
  assertEquals(monitor.changesSince(ready.generation).disks, [{ uuid: VM1.uuid, target: "vda" }]);
  const [row] = store.recent(VM1.uuid, "vda");
  assertEquals([row.phase, row.startedBy, row.leftChain], ["pivoted", "alice", CHAIN]);

  // The event arriving after the operation's own finish changes nothing; a cleanup is recorded.
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Copy for vda completed`,
  );
  monitor.noteCleaned(VM1.uuid, "vda", [CHAIN[1]]);
  assertEquals(store.recent(VM1.uuid, "vda").length, 1);
  assertEquals(store.recent(VM1.uuid, "vda")[0].cleaned, [CHAIN[1]]);
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.cleaned, [CHAIN[1]]);
  db.close();
});

Deno.test("an unknown end settled by a late event rewrites the same history row", async () => {
  const db = openDatabase(":memory:");
  const store = new JobHistory(db);
  const monitor = new JobMonitor(new FakeRunner(() => ""), {
    sampling: false,
    events: false,
    store,
  });
  monitor.book.begin({
    uuid: VM1.uuid,
    domain: VM1.name,
    target: "vda",
    type: "pull",
    bandwidthBytes: 0,
  });
  monitor.book.confirm({ uuid: VM1.uuid, target: "vda" });
  monitor.book.finish({ uuid: VM1.uuid, target: "vda" }, "unknown");
  await monitor.settled({ uuid: VM1.uuid, target: "vda" });
  monitor.events.handleLine(
    `event 'block-job-2' for domain '${VM1.name}': Block Pull for vda failed`,
  );
  await monitor.settled({ uuid: VM1.uuid, target: "vda" });
  const rows = store.recent(VM1.uuid, "vda");
  assertEquals(rows.map((r) => r.phase), ["failed"]);
  db.close();
});

Deno.test("rewriteOutcome: the ended job's sentence changes on the job and in its row, not a later job's", async () => {
  const db = openDatabase(":memory:");
  const store = new JobHistory(db);
  const runner = new FakeRunner((args) => {
    throw new Error(`unexpected ${args.join(" ")}`);
  });
  const monitor = new JobMonitor(runner, { sampling: false, events: false, store });
  const ref = { uuid: VM1.uuid, target: "vda" };
  const start = { ...ref, domain: VM1.name, type: "copy" as const, bandwidthBytes: 0 };
  const { startedAt } = monitor.book.begin({ ...start, dest: `${IMG}/copy.raw` });
  monitor.book.confirm(ref);
  await monitor.rewriteOutcome(ref, startedAt, "not yet");
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.outcome, null, "a running job keeps its own");
  monitor.book.finish(ref, "canceled");
  await monitor.rewriteOutcome(ref, startedAt, "the volume was deleted");
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.outcome, "the volume was deleted");
  const rows = store.recent(VM1.uuid, "vda");
  assertEquals(rows.map((r) => r.outcome), ["the volume was deleted"]);
  await monitor.rewriteOutcome(ref, "2000-01-01T00:00:00.000Z", "another job's");
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.outcome, "the volume was deleted");
});
