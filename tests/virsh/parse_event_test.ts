import { assertEquals } from "@std/assert";
import {
  parseEventLine,
  parseEventTimestamp,
  type VirshEvent,
} from "../../server/virsh/parse/event.ts";

const fixtureLines = async (name: string) =>
  (await Deno.readTextFile(new URL(`../fixtures/virsh/${name}`, import.meta.url)))
    .split("\n").filter((l) => l !== "");

const parseAll = async (name: string, knownNames?: string[]) =>
  (await fixtureLines(name)).map((l) => parseEventLine(l, knownNames));

const I = "/var/lib/libvirt/images/bbfix";
const at = (iso: string) => new Date(iso);

Deno.test("copy ready then pivot: both block-job forms (captured)", async () => {
  assertEquals(await parseAll("events-copy-ready-pivot.txt"), [
    {
      kind: "block-job",
      event: "block-job",
      domain: "bbfix-vm1",
      jobTypeName: "Block Copy",
      disk: `${I}/snap2.qcow2`,
      status: "ready",
      timestamp: at("2026-11-25T19:51:42.437Z"),
    },
    {
      kind: "block-job",
      event: "block-job-2",
      domain: "bbfix-vm1",
      jobTypeName: "Block Copy",
      disk: "vda",
      status: "ready",
      timestamp: at("2026-11-25T19:51:42.437Z"),
    },
    {
      kind: "block-job",
      event: "block-job",
      domain: "bbfix-vm1",
      jobTypeName: "Block Copy",
      disk: `${I}/copy.qcow2`,
      status: "completed",
      timestamp: at("2026-11-25T19:51:42.506Z"),
    },
    {
      kind: "block-job",
      event: "block-job-2",
      domain: "bbfix-vm1",
      jobTypeName: "Block Copy",
      disk: "vda",
      status: "completed",
      timestamp: at("2026-11-25T19:51:42.506Z"),
    },
  ]);
});

/** The `block-job-2` events of a fixture as `type/disk/status`. */
const jobs2 = async (name: string) =>
  (await parseAll(name)).flatMap((e) =>
    e?.kind === "block-job" && e.event === "block-job-2"
      ? [`${e.jobTypeName}/${e.disk}/${e.status}`]
      : []
  );

Deno.test("abort, commit, active commit, pull (captured)", async () => {
  assertEquals(await jobs2("events-copy-abort-before-ready.txt"), ["Block Copy/vda/canceled"]);
  assertEquals(await jobs2("events-copy-ready-abort.txt"), [
    "Block Copy/vda/ready",
    "Block Copy/vda/canceled",
  ]);
  assertEquals(await jobs2("events-commit.txt"), ["Block Commit/vda/completed"]);
  assertEquals(await jobs2("events-active-commit-ready-pivot.txt"), [
    "Active Block Commit/vda/ready",
    "Active Block Commit/vda/completed",
  ]);
  assertEquals(await jobs2("events-pull.txt"), ["Block Pull/vda/completed"]);
});

Deno.test("lifecycle start, destroy, define (captured)", async () => {
  const simplify = (e: VirshEvent | null) =>
    e?.kind === "lifecycle" ? [e.domain, e.event, e.detail] : e;
  assertEquals((await parseAll("events-lifecycle-start.txt")).map(simplify), [
    ["bbfix-vm1", "Resumed", "Unpaused"],
    ["bbfix-vm1", "Started", "Booted"],
  ]);
  assertEquals((await parseAll("events-lifecycle-destroy.txt")).map(simplify), [
    ["bbfix-vm1", "Shutdown", "Finished after host request"],
    ["bbfix-vm1", "Stopped", "Destroyed"],
  ]);
  const [defined] = await parseAll("events-lifecycle-defined.txt");
  assertEquals(defined, {
    kind: "lifecycle",
    domain: "bbfix-vm1",
    event: "Defined",
    detail: "Updated",
    timestamp: at("2026-11-25T19:52:09.736Z"),
  });
});

Deno.test("odd names with and without knownNames (captured)", async () => {
  const names = [
    "bbfix-it's",
    "bbfix-<img src=x onerror=alert(1)>",
    "--pivot",
    "12",
    "bbfix a b",
    "bbfix-net",
    "bbfix-vm1",
  ];
  for (const known of [undefined, names]) {
    const events = await parseAll("events-odd-names.txt", known);
    assertEquals(events.length, 19);
    assertEquals(events.every((e) => e?.kind === "lifecycle"), true);
    assertEquals(
      new Set(events.map((e) => e?.kind === "lifecycle" ? e.domain : null)),
      new Set(names),
    );
  }
});

Deno.test("every line of the whole session parses; none is 'other' (captured)", async () => {
  const events = await parseAll("events-session.txt");
  assertEquals(events.length, 50);
  assertEquals(events.filter((e) => e === null || e.kind === "other"), []);
  assertEquals(events.filter((e) => e?.kind === "block-job").length, 18);
});

Deno.test("no --timestamp: timestamp is null (captured)", async () => {
  const events = await parseAll("events-no-timestamp.txt");
  assertEquals(events.length, 25);
  assertEquals(events.every((e) => e !== null && e.timestamp === null), true);
  assertEquals(events[0], {
    kind: "lifecycle",
    domain: "bbfix-it's",
    event: "Resumed",
    detail: "Unpaused",
    timestamp: null,
  });
});

Deno.test("names containing `': ` need knownNames", () => {
  const line = "event 'lifecycle' for domain 'evil': Stopped Destroyed': Started Booted";
  const guess = parseEventLine(line);
  assertEquals(guess?.kind === "lifecycle" && [guess.domain, guess.event], ["evil", "Stopped"]);
  const known = parseEventLine(line, ["evil", "evil': Stopped Destroyed"]);
  assertEquals(known?.kind === "lifecycle" && [known.domain, known.event, known.detail], [
    "evil': Stopped Destroyed",
    "Started",
    "Booted",
  ]);
});

Deno.test("block-job: paths with spaces and ' for ', failed status, unknown status", () => {
  const e = parseEventLine(
    "event 'block-job' for domain 'vm1': Block Copy for /img/a for b.qcow2 failed",
  );
  assertEquals(e?.kind === "block-job" && [e.jobTypeName, e.disk, e.status], [
    "Block Copy",
    "/img/a for b.qcow2",
    "failed",
  ]);
  const unknown = parseEventLine(
    "event 'block-job-2' for domain 'vm1': Block Copy for vda unknown",
  );
  assertEquals(unknown, {
    kind: "other",
    event: "block-job-2",
    domain: "vm1",
    text: "Block Copy for vda unknown",
    timestamp: null,
  });
});

Deno.test("other events, events without text, non-event lines", () => {
  assertEquals(
    parseEventLine(
      "2026-11-25 19:30:01.123+0000: event 'block-threshold' for domain 'vm1': dev: vda(/a) 10 2",
    ),
    {
      kind: "other",
      event: "block-threshold",
      domain: "vm1",
      text: "dev: vda(/a) 10 2",
      timestamp: at("2026-11-25T19:30:01.123Z"),
    },
  );
  assertEquals(parseEventLine("event 'reboot' for domain 'it's'"), {
    kind: "other",
    event: "reboot",
    domain: "it's",
    text: "",
    timestamp: null,
  });
  assertEquals(parseEventLine("events received: 12"), null);
  assertEquals(parseEventLine(""), null);
  assertEquals(parseEventLine("\tcputune.vcpu_quota: 1000"), null);
  assertEquals(parseEventLine("error: internal error: client socket is closed"), null);
});

Deno.test("timestamps with offsets", () => {
  assertEquals(
    parseEventTimestamp("2026-11-25 19:30:01.123+0000: "),
    at("2026-11-25T19:30:01.123Z"),
  );
  assertEquals(
    parseEventTimestamp("2026-11-25 20:30:01.123+0100: "),
    at("2026-11-25T19:30:01.123Z"),
  );
  assertEquals(parseEventTimestamp("2026-11-25 19:30:01+0000: "), null);
  const line =
    "2026-11-25 19:30:01.123+0000: event 'lifecycle' for domain 'vm1': Stopped Destroyed";
  assertEquals(parseEventLine(line)?.timestamp, at("2026-11-25T19:30:01.123Z"));
  assertEquals(parseEventLine(line + "\n")?.kind, "lifecycle");
});
