import { assertEquals, assertThrows } from "@std/assert";
import { parseListUuidName, parseUuidList } from "../../server/virsh/parse/list.ts";
import { isUuid } from "../../server/virsh/values.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url));

Deno.test("list --uuid --name keeps odd names verbatim (captured)", async () => {
  const rows = parseListUuidName(await fixture("list-uuid-name.txt"));
  assertEquals(rows.length, 9);
  const byName = new Map(rows.map((r) => [r.name, r.uuid]));
  assertEquals(byName.get("--pivot"), "6ba94af4-08c3-4031-8142-8128ec21f227");
  assertEquals(byName.get("12"), "d5256e5c-98a1-4ffd-9a66-51ddba45cec0");
  assertEquals(byName.get("bbfix a b"), "ce83c30e-3539-491f-8796-0dc1d7601d16");
  assertEquals(byName.get("bbfix-it's"), "ae364946-60ca-4fd9-a45a-ff036a1cedbe");
  assertEquals(
    byName.get("bbfix-<img src=x onerror=alert(1)>"),
    "dc784c1f-22a1-496e-875a-526ddd97bc39",
  );
  assertEquals(rows[1], {
    uuid: "704cf090-1533-475a-a0f6-1f81adb2fb5c",
    name: "bbfix-vm1",
  });
  assertEquals(rows.find((r) => r.name === "12")?.name, "12");
});

Deno.test("list of running domains only (captured)", async () => {
  const rows = parseListUuidName(await fixture("list-uuid-name-running.txt"));
  assertEquals(rows.map((r) => r.name), [
    "bbt-1",
    "bbfix-vm1",
    "bbfix-it's",
    "bbfix-<img src=x onerror=alert(1)>",
    "--pivot",
  ]);
});

Deno.test("list keeps leading and trailing spaces of a name", () => {
  const out = "704cf090-1533-475a-a0f6-1f81adb2fb5c  two spaces \n\n";
  assertEquals(parseListUuidName(out), [{
    uuid: "704cf090-1533-475a-a0f6-1f81adb2fb5c",
    name: " two spaces ",
  }]);
});

Deno.test("list of nothing is empty", () => {
  assertEquals(parseListUuidName("\n"), []);
  assertEquals(parseListUuidName(""), []);
  assertEquals(parseUuidList("\n"), []);
});

Deno.test("list refuses lines that are not UUID NAME", () => {
  assertThrows(() => parseListUuidName(" Id   Name    State\n"), Error, "unexpected line");
  assertThrows(() => parseListUuidName("704cf090-1533-475a-a0f6-1f81adb2fb5c\n"), Error);
  assertThrows(() => parseUuidList("not-a-uuid\n"), Error, "unexpected line");
});

Deno.test("uuid lists: all = persistent + transient (captured)", async () => {
  const all = parseUuidList(await fixture("list-uuid-all.txt"));
  const persistent = parseUuidList(await fixture("list-uuid-persistent.txt"));
  const transient = parseUuidList(await fixture("list-uuid-transient.txt"));
  assertEquals(all.length, 9);
  assertEquals(persistent.length, 7);
  assertEquals(transient, [
    "aa68f1a8-4c28-48b2-b9a5-fac44073a887",
    "09405448-1a23-4d19-97fc-e1d04d0fcb7b",
  ]);
  assertEquals([...persistent, ...transient].sort(), [...all].sort());
  assertEquals(persistent.every(isUuid), true);
});

Deno.test("isUuid", () => {
  assertEquals(isUuid("704cf090-1533-475a-a0f6-1f81adb2fb5c"), true);
  assertEquals(isUuid("704cf090-1533-475a-a0f6-1f81adb2fb5"), false);
  assertEquals(isUuid("12"), false);
});
