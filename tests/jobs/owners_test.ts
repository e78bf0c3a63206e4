/**
 * Jobs owned by a storage move or a live migration (server/jobs/owners.ts): the claim registry,
 * the book tagging the disk's job (at start, at adoption, and a job adopted before the claim, as
 * after a restart), nothing heard by metrics/webhooks and nothing stored in the job history for
 * it, the operations' guard (409 naming the owner; the owner itself passes), the terminal rule,
 * and the card without controls.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { JobBook } from "../../server/jobs/book.ts";
import { JobConflictError } from "../../server/jobs/errors.ts";
import { JobHistory } from "../../server/jobs/history.ts";
import { JobMonitor } from "../../server/jobs/monitor.ts";
import { JobOperations } from "../../server/jobs/operations.ts";
import {
  claimDisks,
  JobOwners,
  migrationOwner,
  moveOwner,
  ownedJobRefusal,
} from "../../server/jobs/owners.ts";
import type { JobTransition } from "../../server/jobs/transitions.ts";
import { openDatabase } from "../../server/db.ts";
import { checkCommand } from "../../server/terminal/allowlist.ts";
import { TerminalRefusal } from "../../server/terminal/refusal.ts";
import { JobCard } from "../../views/job.tsx";
import { FakeRunner } from "../support/fake_runner.ts";
import { fixture, IMG, NO_JOB, rawInfo, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;
const VDA = { uuid: VM1.uuid, target: "vda" };
const MOVE = moveOwner("m-1");
const COPY = {
  ...VDA,
  domain: VM1.name,
  type: "copy" as const,
  bandwidthBytes: 0,
  dest: `${IMG}/moved/snap2.qcow2`,
  source: `${IMG}/snap2.qcow2`,
};

Deno.test("claims: one owner per disk until released; a stale release does not drop a newer claim", () => {
  const owners = new JobOwners();
  assertEquals(owners.of(VDA), null);
  const release = owners.claim(VDA, MOVE);
  assertEquals(owners.of(VDA), MOVE);
  assertEquals(owners.of({ ...VDA, target: "vdb" }), null);
  assertEquals(owners.of({ uuid: "other", target: "vda" }), null);
  const releaseMigration = owners.claim(VDA, migrationOwner("g-1", "bbw2"));
  release(); // the move's late release
  assertEquals(owners.of(VDA)?.kind, "migration");
  assertEquals(owners.claimsOf(VM1.uuid).map((c) => c.target), ["vda"]);
  releaseMigration();
  assertEquals(owners.of(VDA), null);
  const releaseAll = claimDisks(owners, VM1.uuid, ["vda", "vdb"], MOVE);
  assertEquals(owners.claimsOf(VM1.uuid).length, 2);
  releaseAll();
  assertEquals(owners.claimsOf(VM1.uuid), []);
});

Deno.test("the refusal sentences name the disk and the owner", () => {
  assertEquals(
    ownedJobRefusal("vda", moveOwner("abc")),
    "disk vda's copy is part of storage move abc; switch or cancel the move instead",
  );
  assertEquals(
    ownedJobRefusal("vdb", migrationOwner("g-1", "bbw2")),
    "disk vdb's copy is part of the live migration g-1 (Migrating to bbw2); abort the migration instead",
  );
});

/** The book adopts a running copy on vda, as the resync does for one started elsewhere. */
function adoptCopy(book: JobBook) {
  book.adopt({
    uuid: VM1.uuid,
    domain: VM1.name,
    disk: { target: "vda", chain: [], mirror: null } as never,
    info: { typeName: "Block Copy", type: "copy", cur: 1, end: 2, bandwidth: 0 },
  } as never);
}

Deno.test("the book tags a job started or adopted on a claimed disk, and one adopted before the claim", () => {
  const book = new JobBook({ now: () => 1_700_000_000_000 });
  const seen: JobTransition[] = [];
  book.onTransition((t) => seen.push(t));
  // Adopted before the claim (a resumed move after a restart): the claim tags it.
  adoptCopy(book);
  assertEquals(seen.length, 1, "heard as a job of its own until claimed");
  const release = book.owners.claim(VDA, MOVE);
  assertEquals(book.get(VDA)?.owner, MOVE);
  book.finish(VDA, "failed");
  release();
  assertEquals(book.get(VDA)?.owner, MOVE, "an ended owned job stays owned");
  assertEquals(seen.length, 1, "no end heard for an owned job (metrics, webhooks)");

  // Adopted on a claimed disk (a migration's mirror): owned at once, no "started outside" note.
  book.owners.claim(VDA, MOVE);
  adoptCopy(book);
  assertEquals([book.get(VDA)?.owner, book.get(VDA)?.message], [MOVE, undefined]);
  assertEquals(seen.length, 1, "its start is not heard");
  book.finish(VDA, "failed");

  // Started by an operation on a claimed disk.
  book.begin(COPY);
  book.confirm(VDA);
  book.markReady(VDA);
  book.finish(VDA, "pivoted");
  assertEquals(book.get(VDA)?.owner, MOVE);
  assertEquals(seen.length, 1, "no start, ready or end heard");
  // A claim never tags a finished job: a later standalone job is not owned.
  const other = new JobBook();
  other.begin(COPY);
  other.finish(VDA, "canceled");
  other.owners.claim(VDA, MOVE);
  assertEquals(other.get(VDA)?.owner, undefined);
});

Deno.test("an owned job's end is not stored in the job history; a standalone one is", async () => {
  const store = new JobHistory(openDatabase(":memory:"));
  const runner = new FakeRunner(() => fixture("dumpxml-after-pivot.xml"));
  const monitor = new JobMonitor(runner, { sampling: false, events: false, store });
  const release = monitor.book.owners.claim(VDA, migrationOwner("g-1", "bbw2"));
  monitor.book.begin(COPY);
  monitor.book.confirm(VDA);
  monitor.book.finish(VDA, "failed", "libvirt reported the job as failed");
  await monitor.settled(VDA);
  release();
  assertEquals(store.list({ limit: 50 }).length, 0);
  monitor.book.begin(COPY);
  monitor.book.confirm(VDA);
  monitor.book.finish(VDA, "canceled");
  await monitor.settled(VDA);
  assertEquals(store.list({ limit: 50 }).length, 1);
});

function readyCopyLibvirt() {
  let pivoted = false;
  return new FakeRunner((args) => {
    const [cmd] = args;
    if (cmd === "domstate") return "running\n\n";
    if (cmd === "list") {
      return args.includes("--persistent") ? `${VM1.uuid}\n\n` : `${VM1.uuid} ${VM1.name}\n\n`;
    }
    if (cmd === "domstats") return fixture("domstats-all.txt");
    if (cmd === "dumpxml") {
      return fixture(pivoted ? "dumpxml-after-pivot.xml" : "dumpxml-copy-ready.xml");
    }
    if (cmd === "blockjob" && args.includes("--info")) {
      return args.includes("vda") && !pivoted ? rawInfo("Block Copy", MiB, MiB) : NO_JOB;
    }
    if (cmd === "blockjob" && args.includes("--pivot")) {
      pivoted = true;
      return "\n";
    }
    throw new Error(`unexpected ${args.join(" ")}`);
  });
}

Deno.test("pivot, abort, keep copy and bandwidth of an owned job: 409 naming the owner, nothing run", async () => {
  const runner = readyCopyLibvirt();
  const monitor = new JobMonitor(runner, { sampling: false, events: false });
  const exists = () => Promise.resolve({ isFile: true } as Deno.FileInfo);
  const ops = new JobOperations(runner, monitor, { pivotRetryDelayMs: 1, lstat: exists });
  monitor.book.owners.claim(VDA, MOVE);
  const sentence = "disk vda's copy is part of storage move m-1; switch or cancel the move instead";
  for (
    const attempt of [
      () => ops.pivot(VDA),
      () => ops.abort(VDA),
      () => ops.abort(VDA, "keep-copy"),
      () => ops.setBandwidth(VDA, MiB),
      () => ops.pivot(VDA, { ownerId: "another-move" }),
    ]
  ) {
    const e = await assertRejects(attempt, JobConflictError, sentence);
    assertEquals(e.reason, "owned");
  }
  assertEquals(runner.calls, [], "refused before reading or running anything");
  // The owner itself passes the guard.
  const job = await ops.pivot(VDA, { ownerId: "m-1" });
  assertEquals(job.phase, "pivoted");
  assert(runner.calls.some((a) => a[0] === "blockjob" && a.includes("--pivot")));
});

Deno.test("the terminal refuses blockjob control of an owned job, by name or UUID, target or path", () => {
  const runner = new FakeRunner(() => NO_JOB);
  const monitor = new JobMonitor(runner, { sampling: false, events: false });
  monitor.book.owners.claim(VDA, MOVE);
  monitor.book.begin(COPY);
  const ownedJob = (d: string, disk: string) => monitor.ownedJobRefusal(d, disk);
  const sentence = "disk vda's copy is part of storage move m-1; switch or cancel the move instead";
  for (
    const line of [
      ["blockjob", VM1.name, "vda", "--pivot"],
      ["blockjob", VM1.uuid, "vda", "--abort"],
      ["blockjob", "--domain", VM1.name, "--path", `${IMG}/snap2.qcow2`, "--abort"],
      ["blockjob", VM1.name, `${IMG}/moved/snap2.qcow2`, "--bandwidth", "1"],
    ]
  ) {
    try {
      checkCommand(line, "operator", { ownedJob });
      throw new Error(`not refused: ${line.join(" ")}`);
    } catch (e) {
      assert(e instanceof TerminalRefusal, String(e));
      assertEquals([e.code, e.reason, e.status], ["owned-job", sentence, 400]);
    }
  }
  // Reading it, or controlling another disk, stays allowed.
  checkCommand(["blockjob", VM1.name, "vda", "--info"], "operator", { ownedJob });
  checkCommand(["blockjob", VM1.name, "vdb", "--abort"], "operator", { ownedJob });
  assertEquals(monitor.ownedJobRefusal("no-such-domain", "vda"), null);
});

Deno.test("an owned job's card names its owner, has no controls, and an owned end is no failure", () => {
  const book = new JobBook({ now: () => 1_700_000_000_000 });
  book.owners.claim(VDA, migrationOwner("g-1", "bbw2"));
  book.begin(COPY);
  book.confirm(VDA);
  const running = String(JobCard({ job: book.get(VDA)!, canControl: true }));
  assertStringIncludes(running, "Migrating to bbw2");
  assertStringIncludes(running, `href="#migration-${VM1.uuid}"`);
  for (const control of ["Pivot now", "Keep copy", 'data-action="abort"', "bandwidth-form"]) {
    assert(!running.includes(control), `no ${control}`);
  }
  book.finish(VDA, "failed", "libvirt reported the job as failed");
  const ended = String(JobCard({ job: book.get(VDA)!, canControl: true }));
  assertStringIncludes(ended, "ended with the migration");
  assert(!ended.includes("Copy failed"), ended);
  assert(!ended.includes(">failed<"), ended);
  assert(!ended.includes("Clean up"), ended);

  const moved = new JobBook();
  moved.owners.claim(VDA, moveOwner("m-9"));
  moved.begin(COPY);
  moved.confirm(VDA);
  const moveCard = String(JobCard({ job: moved.get(VDA)!, canControl: true }));
  assertStringIncludes(moveCard, "storage move m-9");
  assertStringIncludes(moveCard, 'href="#move-m-9"');
  assert(!moveCard.includes("Pivot now"));
  moved.finish(VDA, "pivoted");
  moved.setLeftChain(VDA, [`${IMG}/snap2.qcow2`]);
  assert(!String(JobCard({ job: moved.get(VDA)!, canControl: true })).includes("Clean up"));
});
