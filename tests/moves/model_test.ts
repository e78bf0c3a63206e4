/** The start request's schema and the small pure pieces: progress, argv builders, redefinition. */
import { assertEquals, assertMatch, assertThrows } from "../std_assert.ts";
import { moveRequestSchema } from "../../server/moves/model.ts";
import { lastProgress } from "../../server/images/convert.ts";
import {
  compareArgs,
  convertLayerArgs,
  createImageArgs,
  ImageArgsError,
} from "../../server/images/commands.ts";
import { redefineDiskSources } from "../../server/moves/offline.ts";
import { parseDomainXml } from "../../server/virsh/parse/domxml.ts";

const firstMessage = (value: unknown) => {
  const r = moveRequestSchema.safeParse(value);
  if (r.success) throw new Error("accepted");
  const issue = r.error.issues[0];
  return `${issue.path.join(".")}: ${issue.message}`;
};

Deno.test("move request schema: strict, every refusal names the field", () => {
  assertEquals(moveRequestSchema.parse({ destDir: "/d" }), { destDir: "/d" });
  assertEquals(
    moveRequestSchema.parse({ destDir: "/d", disks: ["vda"], bandwidthBytes: 0, pivot: "auto" }),
    { destDir: "/d", disks: ["vda"], bandwidthBytes: 0, pivot: "auto" },
  );
  assertEquals(
    moveRequestSchema.parse({
      destDir: "/d",
      synchronousWrites: true,
      granularity: 65536,
      bufSize: 1048576,
    }),
    { destDir: "/d", synchronousWrites: true, granularity: 65536, bufSize: 1048576 },
  );
  const table: [unknown, RegExp][] = [
    [{}, /^destDir: is required/],
    [{ destDir: "rel/x" }, /^destDir: must be an absolute path/],
    [{ destDir: "/a/../b" }, /^destDir: must be a normalised path/],
    [{ destDir: "/d", bandwith: 1 }, /unknown field "bandwith": this request takes destDir, disks/],
    [{ destDir: "/d", disks: [] }, /^disks: must name at least one disk/],
    [{ destDir: "/d", disks: ["vda", "vda"] }, /^disks: names a disk twice/],
    [{ destDir: "/d", disks: ["VDA"] }, /^disks\.0: a disk target/],
    [{ destDir: "/d", pivot: "later" }, /^pivot: must be "manual" or "auto"/],
    [{ destDir: "/d", bandwidthBytes: -1 }, /^bandwidthBytes: /],
    [{ destDir: "/d", synchronousWrites: "yes" }, /^synchronousWrites: must be true or false/],
    [{ destDir: "/d", granularity: 1000 }, /^granularity: /],
    [{ destDir: "/d", bufSize: 1 }, /^bufSize: /],
    [
      { destDir: "/d", sync: true },
      /unknown field "sync": .*synchronousWrites, granularity, bufSize/,
    ],
    ["x", /must be a JSON object/],
  ];
  for (const [value, pattern] of table) assertMatch(firstMessage(value), pattern);
});

Deno.test("convert progress: the last percentage of real -p output", async () => {
  const captured = await Deno.readTextFile(
    new URL("../fixtures/qemu-img/convert-progress-rate-limited.stdout", import.meta.url),
  );
  assertEquals(lastProgress(captured), 1);
  assertEquals(lastProgress(captured.split("\r").slice(0, 2).join("\r")), 0.25);
  assertEquals(lastProgress(""), null);
});

Deno.test("qemu-img argv builders refuse what would be unsafe", () => {
  const base = {
    source: "/a/b.qcow2",
    sourceFormat: "qcow2" as const,
    dest: "/n/b.qcow2",
    destFormat: "qcow2" as const,
  };
  for (const name of ["/abs.qcow2", "../up.qcow2", "a/./b", "proto:x", "", "a\nb"]) {
    assertThrows(
      () => convertLayerArgs({ ...base, backing: { name, format: "qcow2" } }),
      ImageArgsError,
    );
  }
  assertThrows(
    () => convertLayerArgs({ ...base, destFormat: "raw", backing: { name: "b", format: "raw" } }),
    ImageArgsError,
  );
  assertThrows(() => convertLayerArgs({ ...base, backing: null, rateBytes: -1 }), ImageArgsError);
  assertThrows(() => createImageArgs("/n/x", "qcow2", 0, null), ImageArgsError);
  assertThrows(() => createImageArgs("rel", "qcow2", 1, null), ImageArgsError);
  assertEquals(compareArgs("/a", "raw", "/b", "qcow2", { shared: true }), [
    "compare",
    "-U",
    "-f",
    "raw",
    "-F",
    "qcow2",
    "--",
    "/a",
    "/b",
  ]);
});

Deno.test("offline redefinition changes only the moved disks' sources (captured inactive XML)", async () => {
  const xml = await Deno.readTextFile(
    new URL("../fixtures/virsh/dumpxml-vm1-inactive-while-running.xml", import.meta.url),
  );
  const next = redefineDiskSources(xml, new Map([["vda", "/new/it's & <odd>.qcow2"]]));
  const before = parseDomainXml(xml);
  const after = parseDomainXml(next);
  assertEquals(after.disks[0].chain[0].path, "/new/it's & <odd>.qcow2");
  assertEquals(after.disks[0].chain[0].format, before.disks[0].chain[0].format);
  assertEquals(after.disks.slice(1), before.disks.slice(1));
  assertEquals([after.name, after.uuid], [before.name, before.uuid]);
  assertThrows(() => redefineDiskSources(xml, new Map([["vdz", "/x"]])), Error, "no disk vdz");
});
