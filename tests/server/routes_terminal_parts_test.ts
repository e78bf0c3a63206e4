/**
 * The pure parts behind the terminal routes: the event log's ring and parsing, the action echo,
 * the session buffer and limits.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { EventLog } from "../../server/routes/terminal/event_log.ts";
import { ActionLog } from "../../server/routes/terminal/action_log.ts";
import {
  SESSION_BUFFER,
  SessionRegistry,
  StreamSession,
  TooManyStreams,
} from "../../server/routes/terminal/sessions.ts";

Deno.test("the action log is a ring of mutating calls; the terminal's own calls are skipped", () => {
  const log = new ActionLog("u", 3);
  const rec = (n: number) => ({
    argv: ["-c", "u", "blockpull", "--domain", `d${n}`, "--path", "vda"],
    code: 0,
    stdout: "",
    stderr: "",
    startedAt: new Date(),
    durationMs: 1,
  });
  log.record({ ...rec(0), origin: "terminal" });
  log.record({
    ...rec(0),
    argv: ["-c", "u", "blockjob", "--domain", "d0", "--path", "vda", "--info"],
  });
  assertEquals(log.latest, 0);
  log.record(rec(0));
  for (let n = 1; n <= 4; n++) log.record(rec(n));
  assertEquals(log.latest, 5);
  assertEquals(log.after(0).map((e) => e.seq), [3, 4, 5]);
  assertEquals(log.after(4).map((e) => e.commandLine), [
    "virsh -c u blockpull --domain d4 --path vda",
  ]);
  assertEquals(log.after(99), []);
});

Deno.test("the event log keeps the newest lines and tells block-job-2 from the rest", () => {
  const log = new EventLog(2);
  const seen: string[] = [];
  log.subscribe((e) => seen.push(e.line));
  log.push("event 'lifecycle' for domain 'a': Started Booted\n");
  log.push("\n");
  log.push("event 'block-job' for domain 'b': Block Copy for /x.qcow2 ready\n");
  log.push("event 'block-job-2' for domain 'b': Block Copy for vda ready\n");
  const kept = log.after(0);
  assertEquals(kept.map((e) => e.seq), [2, 3]);
  assertEquals(kept[0].blockJob, null); // the path-keyed event is not the one to act on
  assertEquals(kept[1].blockJob, { disk: "vda", status: "ready", jobType: "Block Copy" });
  assertEquals(kept[1].domain, "b");
  assertEquals(seen.length, 3);
  assertEquals(log.after(3), []);
  assertEquals(log.after(50).length, 2); // a cursor from before a restart gets what is kept
});

Deno.test("a session folds redraws in its buffer, caps it, and ignores messages after exit", () => {
  const s = new StreamSession("alice", "virsh x");
  s.publish({ type: "progress", stream: "stderr", text: "1" });
  s.publish({ type: "progress", stream: "stderr", text: "2" });
  s.publish({ type: "line", stream: "stderr", text: "done" });
  assertEquals(s.since(0).map((m) => [m.seq, m.message]), [
    [2, { type: "progress", stream: "stderr", text: "2" }],
    [3, { type: "line", stream: "stderr", text: "done" }],
  ]);
  for (let i = 0; i < SESSION_BUFFER + 10; i++) {
    s.publish({ type: "line", stream: "stdout", text: String(i) });
  }
  assertEquals(s.since(0).length, SESSION_BUFFER);
  s.publish({ type: "exit", code: 0, stopped: false, message: "exit 0" });
  s.publish({ type: "line", stream: "stdout", text: "late" });
  assertEquals(s.since(0).at(-1)!.message.type, "exit");
  assertEquals(s.done, true);
});

Deno.test("the registry limits running streams per user and in all, and forgets old ones", async () => {
  const reg = new SessionRegistry({ perUser: 1, total: 2, keepDoneMs: 10 });
  const a = reg.create("alice", "x");
  assertThrows(() => reg.create("alice", "y"), TooManyStreams);
  reg.create("bob", "x");
  assertThrows(() => reg.create("carol", "x"), TooManyStreams, "server already runs 2");
  a.publish({ type: "exit", code: 0, stopped: false, message: "" });
  reg.create("alice", "z");
  assertEquals(reg.get(a.id), a);
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(reg.get(a.id), undefined);
  const b = reg.running()[0];
  b.stop();
  assertEquals(b.controller.signal.aborted, true);
  assertEquals(b.stopRequested, true);
});
