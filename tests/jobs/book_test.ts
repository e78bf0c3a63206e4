/**
 * The job book without any runner: every transition on hand-made samples, XML and events, on a
 * fake clock. Table tests of how jobs end (events, aborts, stopped domains, vanished jobs) and of
 * adoption.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { type DiskRef, JobBook } from "../../server/jobs/book.ts";
import { applyEvent } from "../../server/jobs/book_events.ts";
import { reconcileDomain, type SampledDisk } from "../../server/jobs/reconcile.ts";
import { type AbortFacts, phaseAfterAbort, phaseForEvent } from "../../server/jobs/ending.ts";
import type { JobPhase, JobType } from "../../server/jobs/model.ts";
import type { BlockJobInfo } from "../../server/virsh/parse/blockjob.ts";
import type { DomainXml, XmlDisk } from "../../server/virsh/parse/domxml.ts";
import type { VirshEvent } from "../../server/virsh/parse/event.ts";
import { IMG, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;
const VDA: DiskRef = { uuid: VM1.uuid, target: "vda" };
const CHAIN = [`${IMG}/snap2.qcow2`, `${IMG}/snap1.qcow2`, `${IMG}/base.qcow2`];
const COPY = `${IMG}/copy.qcow2`;
const TYPE_NAMES: Record<string, string> = {
  copy: "Block Copy",
  pull: "Block Pull",
  commit: "Block Commit",
  "active-commit": "Active Block Commit",
};

function book() {
  const clock = { now: 1_700_000_000_000 };
  const ended: number[] = [];
  const b = new JobBook({ now: () => clock.now, onEnded: (job) => ended.push(job.id) });
  return { clock, ended, book: b };
}

function disk(chain: readonly string[], mirror: XmlDisk["mirror"] = null): XmlDisk {
  return {
    target: "vda",
    bus: "virtio",
    device: "disk",
    type: "file",
    chain: chain.map((path, i) => ({ index: i + 1, type: "file", path, format: "qcow2" })),
    chainOpenEnded: false,
    mirror,
    readonly: false,
  };
}

function domain(disks: XmlDisk[]): DomainXml {
  return { name: VM1.name, uuid: VM1.uuid, domainType: "qemu", disks };
}

/** What a resync read of VM1, reconciled. */
function reconcile(b: JobBook, xml: DomainXml, infos: SampledDisk[]) {
  reconcileDomain(b, { uuid: VM1.uuid, xml, infos });
}

function info(type: JobType, cur: number, end: number, bandwidth = 0): BlockJobInfo {
  return { typeName: TYPE_NAMES[type] as BlockJobInfo["typeName"], type, bandwidth, cur, end };
}

function blockJobEvent(type: JobType, status: "ready" | "completed" | "failed" | "canceled") {
  return {
    kind: "block-job",
    event: "block-job-2",
    domain: VM1.name,
    jobTypeName: TYPE_NAMES[type],
    disk: "vda",
    status,
    timestamp: null,
  } satisfies VirshEvent;
}

/** Begins and confirms a job blockboard starts; returns its id (from the sampler's view). */
function start(b: JobBook, type: JobType, extra: { dest?: string; base?: string } = {}): number {
  b.begin({
    ...VDA,
    domain: VM1.name,
    type,
    bandwidthBytes: MiB,
    source: CHAIN[0],
    chain: CHAIN,
    ...extra,
  });
  b.confirm(VDA);
  return b.active()[0].id;
}

Deno.test("begin, confirm, samples, ready, finish: phases, numbers and the generation", () => {
  const { clock, ended, book: b } = book();
  const g0 = b.generation;
  b.begin({ ...VDA, domain: VM1.name, type: "copy", bandwidthBytes: MiB, dest: COPY });
  assertEquals(b.active(), [], "a job being started is not sampled");
  assertEquals(b.changesSince(g0).disks, [VDA]);
  b.confirm(VDA);
  const [{ id }] = b.active();
  for (let i = 0; i < 5; i++) {
    b.applySample({ ...VDA, id }, info("copy", i * MiB, 64 * MiB, MiB));
    clock.now += 1000;
  }
  let job = b.get(VDA)!;
  assertEquals([job.phase, job.cur, job.rateBytesPerSecond, job.etaSeconds], [
    "running",
    4 * MiB,
    MiB,
    60,
  ]);
  assertEquals(job.elapsedSeconds, 5);
  const g1 = b.generation;
  b.markReady({ ...VDA, id });
  assertEquals(b.get(VDA)!.phase, "ready");
  assertEquals(b.generation, g1, "ready does not move the feed (a swap would race Pivot)");
  job = b.finish(VDA, "pivoted")!;
  assertEquals(job.phase, "pivoted");
  assertEquals(job.outcome, `pivoted: the domain now runs on ${COPY}`);
  assertEquals(b.changesSince(g1).disks, [VDA]);
  assertEquals(ended, [id]);
  assertEquals(b.active(), []);
});

Deno.test("a sample for a replaced job (older id) is ignored", () => {
  const { book: b } = book();
  const first = start(b, "pull");
  const second = start(b, "pull");
  assert(first !== second);
  b.applySample({ ...VDA, id: first }, info("pull", 5 * MiB, 10 * MiB));
  assertEquals(b.get(VDA)!.cur, 0);
  assertEquals(b.history(VDA).length, 1, "the first job went to the disk's history");
});

Deno.test("discard forgets a failed start and restores the disk's previous job", () => {
  const { book: b } = book();
  start(b, "pull");
  b.finish(VDA, "completed");
  b.begin({ ...VDA, domain: VM1.name, type: "copy", bandwidthBytes: 0, dest: COPY });
  b.discard(VDA);
  assertEquals(b.get(VDA)!.phase, "completed");
  assertEquals(b.history(VDA), []);
});

Deno.test("phaseAfterAbort and phaseForEvent: the one rule for how a job ends", () => {
  const cases: [AbortFacts, "completed" | "failed" | "canceled", JobPhase][] = [
    [{ type: "copy", wasReady: true, intent: "abort" }, "canceled", "kept-copy"],
    [{ type: "copy", wasReady: true, intent: null }, "canceled", "kept-copy"],
    [{ type: "copy", wasReady: false, intent: "abort" }, "canceled", "canceled"],
    [{ type: "active-commit", wasReady: true, intent: "keep-copy" }, "canceled", "kept-copy"],
    [{ type: "active-commit", wasReady: true, intent: "abort" }, "canceled", "canceled"],
    [{ type: "pull", wasReady: false, intent: null }, "canceled", "canceled"],
    [{ type: "copy", wasReady: true, intent: "pivot" }, "completed", "pivoted"],
    [{ type: "active-commit", wasReady: true, intent: null }, "completed", "pivoted"],
    [{ type: "commit", wasReady: false, intent: null }, "completed", "completed"],
    [{ type: "pull", wasReady: false, intent: null }, "failed", "failed"],
  ];
  for (const [facts, status, phase] of cases) {
    assertEquals(phaseForEvent(status, facts), phase, JSON.stringify([facts, status]));
    if (status === "canceled") assertEquals(phaseAfterAbort(facts), phase);
  }
});

Deno.test("events: ready, then canceled of a ready copy is kept-copy; completed of a copy is pivoted", () => {
  const table: [JobType, ("ready" | "completed" | "failed" | "canceled")[], JobPhase][] = [
    ["copy", ["ready", "canceled"], "kept-copy"],
    ["copy", ["canceled"], "canceled"],
    ["copy", ["ready", "completed"], "pivoted"],
    ["active-commit", ["ready", "canceled"], "canceled"],
    ["pull", ["completed"], "completed"],
    ["commit", ["failed"], "failed"],
  ];
  for (const [type, statuses, phase] of table) {
    const { book: b } = book();
    start(b, type, type === "copy" ? { dest: COPY } : { base: CHAIN[2] });
    for (const s of statuses) assertEquals(applyEvent(b, blockJobEvent(type, s)), false);
    const job = b.get(VDA)!;
    assertEquals(job.phase, phase, `${type} ${statuses}`);
    assert(job.finishedAt !== null);
  }
  const { book: b } = book();
  start(b, "copy", { dest: COPY });
  applyEvent(b, blockJobEvent("copy", "ready"));
  applyEvent(b, blockJobEvent("copy", "canceled"));
  assertMatch(
    b.get(VDA)!.outcome!,
    /^aborted while mirroring: .*copy\.qcow2 is a consistent image as of \d\d:\d\d:\d\d/,
  );
});

Deno.test("the operator's keep-copy intent makes an aborted ready active commit kept-copy", () => {
  const { book: b } = book();
  start(b, "active-commit", { base: CHAIN[2] });
  b.markReady(VDA);
  b.setIntent(VDA, "keep-copy");
  applyEvent(b, blockJobEvent("active-commit", "canceled"));
  assertEquals(b.get(VDA)!.phase, "kept-copy");
});

Deno.test("a ready event for a job the book does not follow asks for a resync", () => {
  const { book: b } = book();
  b.names.remember(VM1.uuid, VM1.name);
  assertEquals(applyEvent(b, blockJobEvent("copy", "ready")), true);
  assertEquals(applyEvent(b, { ...blockJobEvent("copy", "ready"), domain: "other" }), true);
});

Deno.test("interrupted when the domain stops: lifecycle event, or gone from the running list", () => {
  const stop: VirshEvent = {
    kind: "lifecycle",
    domain: VM1.name,
    event: "Stopped",
    detail: "Destroyed",
    timestamp: null,
  };
  let { book: b } = book();
  start(b, "copy", { dest: COPY });
  applyEvent(b, stop);
  assertEquals(b.get(VDA)!.phase, "interrupted");
  assertStringIncludes(b.get(VDA)!.message!, "Stopped Destroyed");

  ({ book: b } = book());
  start(b, "pull");
  b.markStopped(new Set(), "another-uuid");
  assertEquals(b.get(VDA)!.phase, "running", "outside the scope");
  b.markStopped(new Set());
  assertEquals(b.get(VDA)!.phase, "interrupted");
  assertStringIncludes(b.get(VDA)!.outcome!, "interrupted: the domain stopped");

  ({ book: b } = book());
  const id = start(b, "pull");
  b.applySample({ ...VDA, id }, null);
  b.decideVanished({ ...VDA, id }, false, null);
  assertEquals(b.get(VDA)!.phase, "interrupted");
});

Deno.test("a job that vanishes without an event: decided from the XML, unknown when it cannot tell", () => {
  const cases: [JobType, XmlDisk | null, JobPhase][] = [
    ["copy", disk(CHAIN), "unknown"], // still on the source: aborted, canceled or failed
    ["copy", disk([COPY, ...CHAIN.slice(1)]), "pivoted"],
    ["pull", disk([CHAIN[0]]), "completed"],
    ["pull", disk(CHAIN), "unknown"],
    ["commit", null, "unknown"], // the disk left the domain
  ];
  for (const [type, xmlDisk, phase] of cases) {
    const { clock, book: b } = book();
    const id = start(b, type, type === "copy" ? { dest: COPY } : {});
    b.applySample({ ...VDA, id }, null);
    assertEquals(b.active()[0].vanishedAt, clock.now);
    clock.now += 2000;
    b.decideVanished({ ...VDA, id }, true, xmlDisk);
    assertEquals(b.get(VDA)!.phase, phase, `${type} ${xmlDisk?.chain.map((l) => l.path)}`);
  }
  // A mirror still in the XML: the job is finishing; it stays active and waits again.
  const { clock, book: b } = book();
  const id = start(b, "copy", { dest: COPY });
  b.applySample({ ...VDA, id }, null);
  clock.now += 2000;
  b.decideVanished(
    { ...VDA, id },
    true,
    disk(CHAIN, { path: COPY, format: "qcow2", job: "copy", ready: "pivot" }),
  );
  assertEquals(b.get(VDA)!.phase, "running");
  assertEquals(b.active()[0].vanishedAt, clock.now);
});

Deno.test("a late event settles an unknown end and replaces its guesswork message", () => {
  const { book: b } = book();
  const id = start(b, "pull");
  b.applySample({ ...VDA, id }, null);
  b.decideVanished({ ...VDA, id }, true, disk(CHAIN));
  assertEquals(b.get(VDA)!.phase, "unknown");
  applyEvent(b, blockJobEvent("pull", "failed"));
  const job = b.get(VDA)!;
  assertEquals(job.phase, "failed");
  assertEquals(job.message, undefined);
});

Deno.test("reconcile adopts a job started elsewhere, with its mirror, sample and ready", () => {
  const { book: b } = book();
  const mirror = { path: COPY, format: "qcow2", job: "copy", ready: "yes" };
  reconcile(b, domain([disk(CHAIN, mirror)]), [
    { target: "vda", info: info("copy", 64 * MiB, 64 * MiB, MiB) },
  ]);
  const job = b.get(VDA)!;
  assertEquals([job.type, job.phase, job.dest, job.source, job.adopted], [
    "copy",
    "ready",
    COPY,
    CHAIN[0],
    true,
  ]);
  assertEquals(job.startedBy, "outside blockboard");
  assertStringIncludes(job.message!, "started outside blockboard");
  assertEquals(job.cur, 64 * MiB);
  assertEquals(b.names.uuidOf(VM1.name), VM1.uuid);
  // The same job seen again is sampled, not adopted twice.
  reconcile(b, domain([disk(CHAIN, mirror)]), [
    { target: "vda", info: info("copy", 64 * MiB, 64 * MiB, MiB) },
  ]);
  assertEquals(b.history(VDA), []);
});

Deno.test("adoption names the terminal user who claimed the job, once", () => {
  const { book: b } = book();
  b.names.remember(VM1.uuid, VM1.name);
  const claimed = b.claim(
    ["-c", "qemu:///fake", "blockpull", "--domain", VM1.name, "--path", "vda"],
    "carol",
  );
  assertEquals(claimed, { uuid: VM1.uuid });
  assertEquals(b.claim(["list"], "carol"), null);
  b.adopt({ uuid: VM1.uuid, domain: VM1.name, disk: disk(CHAIN), info: info("pull", 0, 1) });
  assertEquals(b.get(VDA)!.startedBy, "terminal (carol)");
  assertEquals(b.get(VDA)!.message, "started from the terminal by carol");
  b.finish(VDA, "completed");
  b.adopt({ uuid: VM1.uuid, domain: VM1.name, disk: disk(CHAIN), info: info("pull", 0, 1) });
  assertEquals(b.get(VDA)!.startedBy, "outside blockboard", "a claim labels one job");
});

Deno.test("reconcile: a different job on the disk ends the old one as unknown; no job decides it", () => {
  let { book: b } = book();
  start(b, "pull");
  reconcile(b, domain([disk(CHAIN)]), [
    { target: "vda", info: info("copy", 0, 10) },
  ]);
  assertEquals(b.history(VDA)[0].phase, "unknown");
  assertStringIncludes(b.history(VDA)[0].message!, "a different job now runs");
  assertEquals(b.get(VDA)!.type, "copy");

  ({ book: b } = book());
  start(b, "pull");
  reconcile(b, domain([disk([CHAIN[0]])]), [{ target: "vda", info: null }]);
  assertEquals(b.get(VDA)!.phase, "completed");

  ({ book: b } = book());
  start(b, "pull");
  reconcile(b, domain([]), []);
  assertEquals(b.get(VDA)!.phase, "unknown", "the disk left the XML");
});

Deno.test("a job being started is left alone by reconcile and by a stopped-domain check", () => {
  const { book: b } = book();
  b.begin({ ...VDA, domain: VM1.name, type: "pull", bandwidthBytes: 0 });
  reconcile(b, domain([disk(CHAIN)]), [{ target: "vda", info: null }]);
  b.markStopped(new Set());
  assertEquals(b.get(VDA)!.phase, "running");
});

Deno.test("after the end: left chain, store row, clean-up and the feed", () => {
  const { book: b } = book();
  const id = start(b, "pull");
  b.finish(VDA, "completed");
  const g = b.generation;
  b.setLeftChain({ ...VDA, id }, CHAIN.slice(1));
  b.saved({ ...VDA, id }, 7);
  assertEquals(b.changesSince(g).disks, [VDA]);
  assertEquals(b.endFacts({ ...VDA, id })?.historyId, 7);
  assertEquals(b.noteCleaned(VDA, [CHAIN[1]]), 7);
  assertEquals(b.get(VDA)!.cleaned, [CHAIN[1]]);
  // A page older than a restart (ahead of this book) gets every disk with a job.
  assertEquals(b.changesSince(b.generation + 100).disks, [VDA]);
});

Deno.test("rate: none until two samples show progress; none once ready (in sync)", () => {
  const { clock, book: b } = book();
  b.begin({ ...VDA, domain: VM1.name, type: "copy", bandwidthBytes: MiB, dest: COPY });
  b.confirm(VDA);
  const [{ id }] = b.active();
  const sample = (cur: number, end = 64 * MiB) => {
    b.applySample({ ...VDA, id }, info("copy", cur, end, MiB));
    clock.now += 1000;
    const { rateBytesPerSecond, etaSeconds } = b.get(VDA)!;
    return [rateBytesPerSecond, etaSeconds];
  };
  // The first 16 MiB chunk was copied before the first look, the next not yet.
  assertEquals(sample(16 * MiB), [null, null]);
  assertEquals(sample(16 * MiB), [null, null], "no 0 B/s before any progress was seen");
  assertEquals(sample(32 * MiB), [8 * MiB, 4]);
  b.markReady({ ...VDA, id });
  assertEquals(b.get(VDA)!.rateBytesPerSecond, null);
  // Synchronized, cur and end grow with the guest's writes only: no rate, no ETA.
  assertEquals(sample(64 * MiB + 1, 64 * MiB + 1), [null, null]);
});
