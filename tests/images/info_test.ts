import { assertEquals, assertThrows } from "@std/assert";
import { ImageInfoParseError, parseImageInfo } from "../../server/images/info.ts";
import { classifyQemuImgStderr } from "../../server/images/errors.ts";
import { FIX, imgFixture } from "./fixtures.ts";

Deno.test("parseImageInfo: a qcow2 without backing file", () => {
  assertEquals(parseImageInfo(imgFixture("info-qcow2-no-backing.json")), {
    filename: `${FIX}/base.qcow2`,
    format: "qcow2",
    virtualSize: 16777216,
    backing: null,
    dataFile: null,
  });
});

Deno.test("parseImageInfo: backing names as recorded, relative ones unresolved, with their format", () => {
  assertEquals(parseImageInfo(imgFixture("info-qcow2-absolute-backing.json")).backing, {
    name: `${FIX}/base.qcow2`,
    format: "qcow2",
  });
  assertEquals(parseImageInfo(imgFixture("info-qcow2-relative-backing.json")).backing, {
    name: "../snap1.qcow2",
    format: "qcow2",
  });
  assertEquals(parseImageInfo(imgFixture("info-qcow2-backing-etc-shadow.json")).backing, {
    name: "/etc/shadow",
    format: "raw",
  });
  assertEquals(parseImageInfo(imgFixture("info-qcow2-backing-relative-etc-shadow.json")).backing, {
    name: "../../../etc/shadow",
    format: "raw",
  });
});

Deno.test("parseImageInfo: a backing file without a recorded format reads as format null", () => {
  assertEquals(parseImageInfo(imgFixture("info-qcow2-backing-no-format.json")).backing, {
    name: "/etc/shadow",
    format: null,
  });
});

Deno.test("parseImageInfo: json: backing names and external data files are reported", () => {
  const json = parseImageInfo(imgFixture("info-qcow2-backing-json.json"));
  assertEquals(json.backing?.name.startsWith("json:{"), true);
  assertEquals(
    parseImageInfo(imgFixture("info-qcow2-data-file.json")).dataFile,
    `${FIX}/dst/data.raw`,
  );
});

Deno.test("parseImageInfo: raw images have no backing file", () => {
  const raw = parseImageInfo(imgFixture("info-raw.json"));
  assertEquals([raw.format, raw.backing, raw.dataFile], ["raw", null, null]);
});

Deno.test("parseImageInfo: anything but one image's JSON is refused", () => {
  assertThrows(() => parseImageInfo(""), ImageInfoParseError);
  assertThrows(() => parseImageInfo("[]"), ImageInfoParseError);
  assertThrows(() => parseImageInfo('{"filename":"/x","format":"qcow2"}'), ImageInfoParseError);
});

Deno.test("classifyQemuImgStderr: captured failures", () => {
  assertEquals(classifyQemuImgStderr(imgFixture("info-locked.stderr")), "locked");
  assertEquals(classifyQemuImgStderr(imgFixture("info-missing.stderr")), "not-found");
  assertEquals(classifyQemuImgStderr(imgFixture("info-raw-as-qcow2.stderr")), "wrong-format");
  assertEquals(classifyQemuImgStderr("qemu-img: something else"), "failed");
});
