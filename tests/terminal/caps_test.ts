/**
 * Memory and slot caps of the terminal: `--wait` streams per user and in all (panel and API
 * alike, 429 with a sentence), the long lane for them, event-log streams, history and the
 * buffers of finished sessions.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { streamingScript, terminalWorld } from "../support/terminal_app.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import {
  HISTORY_CHARS_PER_USER,
  HISTORY_USERS,
  LineHistory,
} from "../../server/routes/terminal/history.ts";
import {
  DONE_SESSIONS_KEPT,
  MESSAGE_TEXT_MAX,
  SessionRegistry,
} from "../../server/routes/terminal/sessions.ts";

const WAIT_LINE = "blockcopy vm1 vda /srv/t.qcow2 --format qcow2 --transient-job --wait --verbose";
const HOST = { host: "localhost" };

type App = ReturnType<typeof terminalWorld>["app"];

function apiRun(app: App, command: string) {
  return app.request("/api/v1/terminal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command }),
  });
}

function uiRun(app: App, command: string) {
  return app.request("/ui/terminal/run", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
    body: new URLSearchParams({ command }),
  });
}

/** Resolves with the response, or null if none came within `ms` (the call is still running). */
async function answered(p: Response | Promise<Response>, ms = 500): Promise<Response | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const r = await Promise.race([
    Promise.resolve(p),
    new Promise<null>((res) => timer = setTimeout(() => res(null), ms)),
  ]);
  clearTimeout(timer);
  return r;
}

Deno.test("--wait lines: 2 per user and 8 in all, panel and API together; 429 with a sentence", async () => {
  const s = streamingScript([]);
  const runner = new FakeRunner((args, options) => s.script(args, options));
  const { app, who } = terminalWorld(runner);
  who.role = "operator";
  // alice: one through the panel, one through the API; the third is refused either way.
  assertEquals((await uiRun(app, WAIT_LINE)).status, 200);
  const apiFirst = apiRun(app, WAIT_LINE);
  assertEquals(await answered(apiFirst), null, "the API --wait line runs");
  const third = await answered(apiRun(app, WAIT_LINE));
  assert(third, "the third stream must be refused at once, not run");
  assertEquals(third.status, 429);
  const body = await third.json();
  assertEquals(body.error.code, "too_many_streams");
  assertStringIncludes(body.error.message, "stop one first");
  assertEquals((await uiRun(app, WAIT_LINE)).status, 429);
  // Three more users take the total to 8; a fifth user is refused by the total.
  for (const user of ["bob", "carol", "dave"]) {
    who.user = user;
    assertEquals((await uiRun(app, WAIT_LINE)).status, 200);
    assertEquals((await uiRun(app, WAIT_LINE)).status, 200);
  }
  who.user = "erin";
  const total = await answered(apiRun(app, WAIT_LINE));
  assertEquals(total?.status, 429);
  assertStringIncludes((await total!.json()).error.message, "8 streaming commands");
  // Every stream ran in the long lane, so none held a slot of the short calls.
  const waits = runner.options.filter((_, i) => runner.calls[i].includes("--wait"));
  assertEquals(waits.length, 8);
  for (const o of waits) assertEquals(o.lane, "long");
  s.release({ code: 0 });
  assertEquals((await apiFirst).status, 200);
});

Deno.test("event-log streams are capped per user and in all; a closed one frees its slot", async () => {
  const runner = new FakeRunner();
  const { app, who } = terminalWorld(runner, {
    terminal: { eventStreams: { perUser: 2, total: 3 } },
  });
  const open = async () => await app.request("/ui/terminal/events", { headers: HOST });
  const a = await open();
  const b = await open();
  assertEquals([a.status, b.status], [200, 200]);
  const refused = await open();
  assertEquals(refused.status, 429);
  assertStringIncludes(await refused.text(), "event streams open");
  who.user = "bob";
  const c = await open();
  assertEquals(c.status, 200);
  assertEquals((await open()).status, 429, "the total is reached");
  await a.body!.cancel();
  await new Promise((r) => setTimeout(r, 50));
  const again = await open();
  assertEquals(again.status, 200);
  for (const r of [b, c, again]) await r.body!.cancel();
});

Deno.test("history: an over-long line is not stored; per-user characters and users are capped", () => {
  const h = new LineHistory();
  for (let i = 0; i < 10; i++) h.add("alice", `${i}`.padEnd(5_000_000, "x"));
  assertEquals(h.of("alice"), []);
  for (let i = 0; i < 100; i++) h.add("alice", `list ${i} `.padEnd(4000, "y"));
  const chars = h.of("alice").reduce((n, l) => n + l.length, 0);
  assert(chars <= HISTORY_CHARS_PER_USER, `${chars} characters kept`);
  assertEquals(h.of("alice").at(-1)!.startsWith("list 99 "), true);
  for (let i = 0; i < HISTORY_USERS + 50; i++) h.add(`user${i}`, "list");
  assertEquals(h.users, HISTORY_USERS);
});

Deno.test("the panel stores no history for a line over the length limit", async () => {
  const runner = new FakeRunner();
  const { app } = terminalWorld(runner);
  assertEquals((await uiRun(app, "list ".padEnd(5000, "z"))).status, 400);
  const res = await app.request("/ui/terminal/history");
  assertEquals((await res.json()).history, []);
});

Deno.test("finished sessions and message texts are bounded", () => {
  const registry = new SessionRegistry({ perUser: 1000, total: 1000 });
  for (let i = 0; i < DONE_SESSIONS_KEPT + 40; i++) {
    const s = registry.create("alice", "virsh ...");
    s.publish({ type: "line", stream: "stdout", text: "x".repeat(1_000_000) });
    assertEquals((s.since(0)[0].message as { text: string }).text.length, MESSAGE_TEXT_MAX + 1);
    s.publish({ type: "exit", code: 0, stopped: false, message: "exit 0" });
  }
  registry.create("alice", "virsh ...");
  assert(registry.size <= DONE_SESSIONS_KEPT + 1, `${registry.size} sessions held`);
});
