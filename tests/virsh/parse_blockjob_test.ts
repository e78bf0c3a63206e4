import { assertEquals, assertThrows } from "@std/assert";
import { blockJobTypeFromName, parseBlockJobInfo } from "../../server/virsh/parse/blockjob.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url));

Deno.test("raw: no job is a single empty line (captured)", async () => {
  const out = await fixture("blockjob-raw-nojob.txt");
  assertEquals(out, "\n");
  assertEquals(parseBlockJobInfo(out), null);
  assertEquals(parseBlockJobInfo(""), null);
});

Deno.test("raw: copy, throttled (captured)", async () => {
  assertEquals(parseBlockJobInfo(await fixture("blockjob-raw-copy.txt")), {
    typeName: "Block Copy",
    type: "copy",
    bandwidth: 1048576,
    cur: 16777216,
    end: 67108864,
  });
});

Deno.test("raw: copy ready has cur == end and no limit (captured)", async () => {
  assertEquals(parseBlockJobInfo(await fixture("blockjob-raw-copy-ready.txt")), {
    typeName: "Block Copy",
    type: "copy",
    bandwidth: 0,
    cur: 67108864,
    end: 67108864,
  });
});

Deno.test("raw: without --bytes, 100 KiB/s reads as 1 MiB/s (captured)", async () => {
  assertEquals(parseBlockJobInfo(await fixture("blockjob-raw-copy-mib-rounded.txt"))?.bandwidth, 1);
  assertEquals(
    parseBlockJobInfo(await fixture("blockjob-raw-copy-100k.txt"))?.bandwidth,
    102400,
  );
});

Deno.test("raw: pull, commit, active commit (captured)", async () => {
  assertEquals(parseBlockJobInfo(await fixture("blockjob-raw-pull.txt")), {
    typeName: "Block Pull",
    type: "pull",
    bandwidth: 65536,
    cur: 524288,
    end: 67108864,
  });
  assertEquals(parseBlockJobInfo(await fixture("blockjob-raw-commit.txt")), {
    typeName: "Block Commit",
    type: "commit",
    bandwidth: 65536,
    cur: 8912896,
    end: 67108864,
  });
  assertEquals(parseBlockJobInfo(await fixture("blockjob-raw-active-commit.txt")), {
    typeName: "Active Block Commit",
    type: "active-commit",
    bandwidth: 65536,
    cur: 8388607,
    end: 8388608,
  });
  assertEquals(
    parseBlockJobInfo(await fixture("blockjob-raw-active-commit-ready.txt"))?.cur,
    8388608,
  );
});

Deno.test("raw: type=(null) and unknown names map to unknown", () => {
  const job = parseBlockJobInfo(" type=(null)\n bandwidth=0\n cur=1\n end=1\n");
  assertEquals(job, { typeName: "(null)", type: "unknown", bandwidth: 0, cur: 1, end: 1 });
  assertEquals(blockJobTypeFromName("Unknown job"), "unknown");
  assertEquals(blockJobTypeFromName("Backup"), "backup");
  assertEquals(blockJobTypeFromName("block copy"), "unknown");
  assertEquals(blockJobTypeFromName("toString"), "unknown");
});

Deno.test("raw: values are split at the first '='", () => {
  const job = parseBlockJobInfo(" type=Odd=Name\n cur=0\n end=0\n");
  assertEquals(job?.typeName, "Odd=Name");
  assertEquals(job?.bandwidth, 0);
});

Deno.test("raw: malformed job output throws", () => {
  assertThrows(() => parseBlockJobInfo(" type=Block Copy\n cur=1\n"), Error, "end=");
  assertThrows(() => parseBlockJobInfo(" cur=1\n end=2\n"), Error, "type=");
  assertThrows(() => parseBlockJobInfo(" type=Block Copy\n cur=x\n end=2\n"), Error, "number");
  assertThrows(() => parseBlockJobInfo("No current block job for vda\n"), Error);
});
