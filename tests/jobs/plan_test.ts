/** The planner: argv, the chain afterwards and input checks, from captured XML. Pure. */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { JobInputError } from "../../server/jobs/errors.ts";
import { planCommit, planCopy, planPull } from "../../server/jobs/plan.ts";
import { parseDomainXml } from "../../server/virsh/parse/domxml.ts";
import { fixture, IMG, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;
const CTX = { uuid: VM1.uuid, uri: "qemu:///system", persistent: true };
const vda = () => parseDomainXml(fixture("dumpxml-vm1-running.xml")).disks[0];
const D = ["--domain", VM1.uuid, "--path", "vda"];

Deno.test("planPull: argv and the chain afterwards", () => {
  const full = planPull(CTX, vda(), {});
  assertEquals(full.argv, ["blockpull", ...D]);
  assertEquals(full.chainAfter.map((l) => l.path), [`${IMG}/snap2.qcow2`]);
  const partial = planPull(CTX, vda(), { base: `${IMG}/base.qcow2`, bandwidthBytes: MiB });
  assertEquals(partial.argv, [
    "blockpull",
    ...D,
    "--base",
    `${IMG}/base.qcow2`,
    "--bandwidth",
    String(MiB),
    "--bytes",
  ]);
  assertEquals(partial.chainAfter.map((l) => l.path), [`${IMG}/snap2.qcow2`, `${IMG}/base.qcow2`]);
  assertEquals(
    assertThrows(() => planPull(CTX, vda(), { base: "/elsewhere.qcow2" }), JobInputError).field,
    "base",
  );
  assertThrows(() => planPull(CTX, vda(), { base: `${IMG}/snap1.qcow2` }), JobInputError);
});

Deno.test("planCopy: format from the XML, transient-job for persistent, reuse needs a format", () => {
  const plan = planCopy(CTX, vda(), { dest: "/srv/c.qcow2" });
  assertEquals(plan.argv, [
    "blockcopy",
    ...D,
    "--dest",
    "/srv/c.qcow2",
    "--format",
    "qcow2",
    "--transient-job",
  ]);
  assertStringIncludes(plan.commandLine, `virsh -c qemu:///system blockcopy --domain ${VM1.uuid}`);
  assertEquals(plan.chainAfter, [{ path: "/srv/c.qcow2", format: "qcow2" }]);
  assertEquals(
    assertThrows(
      () => planCopy(CTX, vda(), { dest: "/srv/c", reuseExternal: true }),
      JobInputError,
    ).field,
    "format",
  );
  assertThrows(() => planCopy(CTX, vda(), { dest: "relative.qcow2" }), JobInputError);
  assertThrows(() => planCopy(CTX, vda(), { dest: "/srv/../etc/x" }), JobInputError);
  assertThrows(() => planCopy(CTX, vda(), { dest: `${IMG}/base.qcow2` }), JobInputError);
  assertThrows(
    () => planCopy(CTX, vda(), { dest: "/srv/c", format: "raw", shallow: true }),
    JobInputError,
  );
});

Deno.test("planCommit: active when top is the active layer; base must be below top", () => {
  const active = planCommit(CTX, vda(), {});
  assertEquals(active.type, "active-commit");
  assertEquals(active.argv, [
    "blockcommit",
    ...D,
    "--top",
    `${IMG}/snap2.qcow2`,
    "--base",
    `${IMG}/base.qcow2`,
    "--active",
  ]);
  assertEquals(active.chainAfter.map((l) => l.path), [`${IMG}/base.qcow2`]);
  const inner = planCommit(CTX, vda(), { top: `${IMG}/snap1.qcow2` });
  assertEquals(inner.type, "commit");
  assertEquals(inner.chainAfter.map((l) => l.path), [`${IMG}/snap2.qcow2`, `${IMG}/base.qcow2`]);
  assertThrows(
    () => planCommit(CTX, vda(), { top: `${IMG}/base.qcow2`, base: `${IMG}/snap1.qcow2` }),
    JobInputError,
  );
});

Deno.test("a chain with an unrecorded backing format is refused", () => {
  const xml = fixture("dumpxml-vm1-running.xml").replace("<format type='qcow2'/>", "");
  const disk = parseDomainXml(xml).disks[0];
  assertEquals(assertThrows(() => planPull(CTX, disk, {}), JobInputError).field, "target");
});

Deno.test("planCopy: the mirror tuning options become flags and the job's options", () => {
  const plan = planCopy(CTX, vda(), {
    dest: "/srv/c.qcow2",
    synchronousWrites: true,
    granularity: 65536,
    bufSize: 4 * MiB,
  });
  assertEquals(plan.argv, [
    "blockcopy",
    ...D,
    "--dest",
    "/srv/c.qcow2",
    "--format",
    "qcow2",
    "--transient-job",
    "--synchronous-writes",
    "--granularity",
    "65536",
    "--buf-size",
    String(4 * MiB),
  ]);
  assertEquals(plan.options, { synchronousWrites: true, granularity: 65536, bufSize: 4 * MiB });
  assertStringIncludes(plan.notes.join(" "), "synchronous writes:");
  // Unset options add nothing.
  const plain = planCopy(CTX, vda(), { dest: "/srv/c.qcow2", synchronousWrites: false });
  assertEquals(plain.options, undefined);
  assertEquals(plain.argv.includes("--synchronous-writes"), false);
  // The builder refuses what the schema refuses, naming the field.
  const bad = assertThrows(
    () => planCopy(CTX, vda(), { dest: "/srv/c.qcow2", granularity: 768 }),
    JobInputError,
  );
  assertEquals(bad.field, "granularity");
  assertStringIncludes(bad.message, "power of two");
  assertEquals(
    assertThrows(
      () => planCopy(CTX, vda(), { dest: "/srv/c.qcow2", bufSize: 2 ** 31 }),
      JobInputError,
    )
      .field,
    "bufSize",
  );
});

Deno.test("planPull: keep relative needs a base and adds --keep-relative", () => {
  const plan = planPull(CTX, vda(), { base: `${IMG}/base.qcow2`, keepRelative: true });
  assertEquals(plan.argv, ["blockpull", ...D, "--base", `${IMG}/base.qcow2`, "--keep-relative"]);
  assertEquals(plan.options, { keepRelative: true });
  assertStringIncludes(plan.notes.join(" "), "keep relative");
  const e = assertThrows(() => planPull(CTX, vda(), { keepRelative: true }), JobInputError);
  assertEquals(e.field, "keepRelative");
  assertStringIncludes(e.message, "needs a base");
});

Deno.test("planCommit: keep relative and delete; delete names the layers libvirt removes", () => {
  const middle = planCommit(CTX, vda(), {
    top: `${IMG}/snap1.qcow2`,
    base: `${IMG}/base.qcow2`,
    keepRelative: true,
    delete: true,
  });
  assertEquals(middle.argv, [
    "blockcommit",
    ...D,
    "--top",
    `${IMG}/snap1.qcow2`,
    "--base",
    `${IMG}/base.qcow2`,
    "--keep-relative",
    "--delete",
  ]);
  assertEquals(middle.deletes, [`${IMG}/snap1.qcow2`]);
  assertEquals(middle.options, { keepRelative: true, delete: true });
  assertStringIncludes(middle.notes.join(" "), `libvirt deletes ${IMG}/snap1.qcow2`);
  // An active commit deletes the active layer and the one below it, never the base, after pivot.
  const active = planCommit(CTX, vda(), { delete: true });
  assertEquals(active.type, "active-commit");
  assertEquals(active.deletes, [`${IMG}/snap2.qcow2`, `${IMG}/snap1.qcow2`]);
  assertStringIncludes(active.notes.join(" "), "once the commit is pivoted");
  assertEquals(active.argv.slice(-2), ["--active", "--delete"]);
  const plain = planCommit(CTX, vda(), {});
  assertEquals([plain.deletes, plain.options], [undefined, undefined]);
});
