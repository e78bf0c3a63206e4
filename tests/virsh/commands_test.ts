import { assertEquals, assertThrows } from "@std/assert";
import {
  blockCommitArgs,
  blockCopyArgs,
  blockJobAbortArgs,
  blockJobAbortTypedArgs,
  blockJobBandwidthArgs,
  blockJobInfoArgs,
  blockJobPivotArgs,
  blockPullArgs,
  CommandBuildError,
  type CopyFormat,
  domStatsBlockArgs,
  domStatsInventoryArgs,
  dumpXmlArgs,
  listAllArgs,
  listPersistentArgs,
} from "../../server/virsh/commands.ts";

const U = "704cf090-1533-475a-a0f6-1f81adb2fb5c";
const D = ["--domain", U, "--path", "vda"];

Deno.test("blockJobInfoArgs asks for the raw byte form", () => {
  assertEquals(blockJobInfoArgs(U, "vda"), ["blockjob", ...D, "--info", "--raw", "--bytes"]);
});

Deno.test("blockPullArgs: plain, partial and throttled", () => {
  assertEquals(blockPullArgs(U, "vda"), ["blockpull", ...D]);
  assertEquals(
    blockPullArgs(U, "vda", { base: "/img/base.qcow2", bandwidthBytes: 1048576 }),
    ["blockpull", ...D, "--base", "/img/base.qcow2", "--bandwidth", "1048576", "--bytes"],
  );
  assertEquals(blockPullArgs(U, "vda", { bandwidthBytes: 0 }), ["blockpull", ...D]);
});

Deno.test("blockCopyArgs: format always, transient-job for persistent domains, never --wait", () => {
  assertEquals(
    blockCopyArgs(U, "vda", { dest: "/img/c.qcow2", format: "qcow2", persistent: true }),
    ["blockcopy", ...D, "--dest", "/img/c.qcow2", "--format", "qcow2", "--transient-job"],
  );
  assertEquals(
    blockCopyArgs(U, "vda", {
      dest: "/img/c.qcow2",
      format: "qcow2",
      persistent: false,
      shallow: true,
      reuseExternal: true,
      bandwidthBytes: 2097152,
    }),
    [
      "blockcopy",
      ...D,
      "--dest",
      "/img/c.qcow2",
      "--format",
      "qcow2",
      "--shallow",
      "--reuse-external",
      "--bandwidth",
      "2097152",
      "--bytes",
    ],
  );
  assertEquals(
    blockCopyArgs(U, "vda", { dest: "/img/c.raw", format: "raw", persistent: false }),
    ["blockcopy", ...D, "--dest", "/img/c.raw", "--format", "raw"],
  );
});

Deno.test("blockCopyArgs refuses a missing format, shallow raw, relative and multi-line dests", () => {
  const base = { dest: "/img/c", persistent: false };
  assertThrows(
    () => blockCopyArgs(U, "vda", { ...base, format: undefined as unknown as CopyFormat }),
    CommandBuildError,
  );
  assertThrows(
    () =>
      blockCopyArgs(U, "vda", {
        ...base,
        format: undefined as unknown as CopyFormat,
        reuseExternal: true,
      }),
    CommandBuildError,
  );
  assertThrows(
    () => blockCopyArgs(U, "vda", { ...base, format: "raw", shallow: true }),
    CommandBuildError,
  );
  assertThrows(
    () => blockCopyArgs(U, "vda", { ...base, dest: "--pivot", format: "raw" }),
    CommandBuildError,
  );
  assertThrows(
    () => blockCopyArgs(U, "vda", { ...base, dest: "/a\nlist", format: "raw" }),
    CommandBuildError,
  );
});

Deno.test("blockCommitArgs: top/base named, --active for the active layer", () => {
  assertEquals(
    blockCommitArgs(U, "vda", { top: "/img/s1", base: "/img/b", active: false }),
    ["blockcommit", ...D, "--top", "/img/s1", "--base", "/img/b"],
  );
  assertEquals(
    blockCommitArgs(U, "vda", { active: true, bandwidthBytes: 65536 }),
    ["blockcommit", ...D, "--active", "--bandwidth", "65536", "--bytes"],
  );
});

Deno.test("job control builders", () => {
  assertEquals(blockJobAbortArgs(U, "vda"), ["blockjob", ...D, "--abort"]);
  assertEquals(blockJobPivotArgs(U, "vda"), ["blockjob", ...D, "--pivot"]);
  assertEquals(
    blockJobBandwidthArgs(U, "vda", 0),
    ["blockjob", ...D, "--bandwidth", "0", "--bytes"],
  );
  assertThrows(() => blockJobBandwidthArgs(U, "vda", -1), CommandBuildError);
  assertThrows(() => blockJobBandwidthArgs(U, "vda", 1.5), CommandBuildError);
});

Deno.test("dumpXmlArgs live and inactive", () => {
  assertEquals(dumpXmlArgs(U), ["dumpxml", "--domain", U]);
  assertEquals(dumpXmlArgs(U, { inactive: true }), ["dumpxml", "--domain", U, "--inactive"]);
});

Deno.test("builders refuse names and option-like targets where a UUID/target belongs", () => {
  assertThrows(() => blockJobInfoArgs("vm1", "vda"), CommandBuildError);
  assertThrows(() => blockJobInfoArgs(U, "--abort"), CommandBuildError);
  assertThrows(() => dumpXmlArgs("12"), CommandBuildError);
});

Deno.test("domStatsBlockArgs: all running domains in one call, or one domain after --", () => {
  assertEquals(domStatsBlockArgs(), ["domstats", "--block", "--list-running"]);
  assertEquals(domStatsBlockArgs(U), ["domstats", "--block", "--", U]);
  assertThrows(() => domStatsBlockArgs("--pivot"), CommandBuildError);
});

Deno.test("inventory builders: list, persistent list, one bulk domstats", () => {
  assertEquals(listAllArgs(), ["list", "--all", "--uuid", "--name"]);
  assertEquals(listPersistentArgs(), ["list", "--all", "--persistent", "--uuid"]);
  assertEquals(domStatsInventoryArgs(), ["domstats", "--state", "--block", "--backing"]);
});

Deno.test("blockJobAbortTypedArgs: the terminal's words as named options, never empty", () => {
  assertEquals(blockJobAbortTypedArgs("--pivot", "/img/a b.qcow2"), [
    "blockjob",
    "--domain",
    "--pivot",
    "--path",
    "/img/a b.qcow2",
    "--abort",
  ]);
  assertThrows(() => blockJobAbortTypedArgs("", "vda"), CommandBuildError);
  assertThrows(() => blockJobAbortTypedArgs("web", ""), CommandBuildError);
});

Deno.test("blockCopyArgs: synchronous writes, granularity and buffer size; bad values refused", () => {
  const base = { dest: "/img/c.qcow2", format: "qcow2" as CopyFormat, persistent: false };
  assertEquals(
    blockCopyArgs(U, "vda", {
      ...base,
      synchronousWrites: true,
      granularity: 512,
      bufSize: 1048576,
      bandwidthBytes: 65536,
    }),
    [
      "blockcopy",
      ...D,
      "--dest",
      "/img/c.qcow2",
      "--format",
      "qcow2",
      "--synchronous-writes",
      "--granularity",
      "512",
      "--buf-size",
      "1048576",
      "--bandwidth",
      "65536",
      "--bytes",
    ],
  );
  assertEquals(
    blockCopyArgs(U, "vda", { ...base, synchronousWrites: false }),
    ["blockcopy", ...D, "--dest", "/img/c.qcow2", "--format", "qcow2"],
  );
  for (const granularity of [256, 768, 128 * 1048576]) {
    const e = assertThrows(
      () => blockCopyArgs(U, "vda", { ...base, granularity }),
      CommandBuildError,
    );
    assertEquals(e.field, "granularity");
  }
  const e = assertThrows(
    () => blockCopyArgs(U, "vda", { ...base, bufSize: 100 }),
    CommandBuildError,
  );
  assertEquals(e.field, "bufSize");
});

Deno.test("blockPullArgs / blockCommitArgs: --keep-relative and --delete", () => {
  assertEquals(
    blockPullArgs(U, "vda", { base: "/img/b", keepRelative: true }),
    ["blockpull", ...D, "--base", "/img/b", "--keep-relative"],
  );
  assertEquals(
    blockCommitArgs(U, "vda", {
      top: "/img/s1",
      base: "/img/b",
      active: false,
      keepRelative: true,
      delete: true,
    }),
    ["blockcommit", ...D, "--top", "/img/s1", "--base", "/img/b", "--keep-relative", "--delete"],
  );
  assertEquals(
    blockCommitArgs(U, "vda", { active: true, delete: false, keepRelative: false }),
    ["blockcommit", ...D, "--active"],
  );
});
