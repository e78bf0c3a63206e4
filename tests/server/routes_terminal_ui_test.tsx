/**
 * `/ui/terminal`: output fragments, the streamed command (SSE, progress folded, Stop aborts the
 * job), the Origin check of the streams, the echo of dashboard actions, the event log.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
} from "@std/assert";
import { readSse, streamingScript, terminalWorld } from "../support/terminal_app.ts";
import { FakeRunner } from "../support/fake_runner.ts";

type App = ReturnType<typeof terminalWorld>["app"];

function run(app: App, command: string) {
  return app.request("/ui/terminal/run", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
    body: new URLSearchParams({ command }),
  });
}

const HOST = { host: "localhost" };

Deno.test("a finished command renders the line as run, stdout, stderr apart, and the exit code", async () => {
  const runner = new FakeRunner(() => ({
    stdout: " Target   Source\n vda  /lab/<b>x</b>.qcow2\n",
    stderr: "warning: <script>alert(1)</script>\n",
    code: 0,
  }));
  const { app } = terminalWorld(runner);
  const res = await run(app, "domblklist 'my vm'");
  assertEquals(res.status, 200);
  const html = await res.text();
  assertStringIncludes(html, "virsh -c qemu:///fake domblklist --domain &#39;my vm&#39;");
  assertMatch(html, /<pre class="term-out">[^<]*&lt;b&gt;x&lt;\/b&gt;/);
  assertMatch(html, /<pre class="term-err">warning: &lt;script&gt;/);
  assertNotMatch(html, /<script/);
  assertStringIncludes(html, "exit 0");
  assertEquals(runner.calls[0], ["domblklist", "--domain", "my vm"]);
});

Deno.test("a refused line renders the reason with 400/403 and runs nothing", async () => {
  const runner = new FakeRunner();
  const { app, audits } = terminalWorld(runner);
  let res = await run(app, "list; destroy vm1");
  assertEquals(res.status, 400);
  assertStringIncludes(await res.text(), "term-refused");
  res = await run(app, "blockpull vm1 vda --wait");
  assertEquals(res.status, 403);
  assertStringIncludes(await res.text(), "requires the operator role");
  assertEquals(runner.calls.length, 0);
  assertEquals(audits.map((a) => a.result), ["refused", "refused"]);
});

Deno.test("no role: the gate answers every terminal route 401 (htmx: HX-Redirect to login)", async () => {
  const { app, who } = terminalWorld(new FakeRunner());
  who.role = null;
  for (
    const [method, path] of [
      ["POST", "/ui/terminal/run"],
      ["GET", "/ui/terminal/actions"],
      ["GET", "/ui/terminal/events"],
      ["GET", "/ui/terminal/history"],
      ["GET", `/ui/terminal/stream/${crypto.randomUUID()}`],
      ["POST", `/ui/terminal/stop/${crypto.randomUUID()}`],
    ]
  ) {
    const res = await app.request(path, { method, headers: { ...HOST, "hx-request": "true" } });
    assertEquals(res.status, 401, path);
    assertEquals(res.headers.get("hx-redirect"), "/login");
    assertStringIncludes(await res.text(), "Sign in first");
  }
});

/** Starts a streaming blockcopy through the UI and returns the session's stream and stop URLs. */
async function startCopy(app: App) {
  const res = await run(
    app,
    "blockcopy vm1 vda /srv/t.qcow2 --format qcow2 --transient-job --wait --verbose",
  );
  assertEquals(res.status, 200);
  const html = await res.text();
  const stream = /data-stream-url="([^"]+)"/.exec(html)?.[1];
  const stop = /hx-post="([^"]+)"/.exec(html)?.[1];
  assert(stream && stop, html);
  assertStringIncludes(html, "virsh -c qemu:///fake blockcopy --domain vm1 --path vda");
  return { stream, stop };
}

Deno.test("a streaming command: SSE carries folded progress; Stop kills it and aborts the job", async () => {
  const s = streamingScript([
    "\rBlock Copy: [  0 %]",
    "\rBlock Copy: [ 12 %]\rBlock Copy: [ 25 %]",
  ]);
  const runner = new FakeRunner((args, options) =>
    args[0] === "blockjob" ? { code: 0 } : s.script(args, options)
  );
  const { app, who, audits } = terminalWorld(runner);
  who.role = "operator";
  const { stream, stop } = await startCopy(app);
  assertEquals(runner.options[0].timeoutMs, 30 * 60_000);
  assert(runner.options[0].signal instanceof AbortSignal);

  const res = await app.request(stream, { headers: HOST });
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "text/event-stream");
  const progress = await readSse(res, (m) => m.length >= 1);
  // The buffer keeps only the latest of a run of redraws: one updating line.
  assertEquals(progress.map((m) => JSON.parse(m.data)), [
    { type: "progress", stream: "stderr", text: "Block Copy: [ 25 %]" },
  ]);
  assertEquals(progress.at(-1)!.event, "out");

  // Another user may neither watch nor stop it.
  who.user = "mallory";
  assertEquals((await app.request(stream, { headers: HOST })).status, 403);
  assertEquals((await app.request(stop, { method: "POST" })).status, 403);
  who.user = "alice";

  assertEquals((await app.request(stop, { method: "POST" })).status, 204);
  const rest = await readSse(
    await app.request(stream, { headers: HOST }),
    (m) => m.some((x) => JSON.parse(x.data).type === "exit"),
  );
  const exit = JSON.parse(rest.at(-1)!.data);
  assertEquals(exit.type, "exit");
  assertEquals(exit.stopped, true);
  assertStringIncludes(exit.message, "job aborted");
  assertEquals(runner.calls.map((c) => c[0]), ["blockcopy", "blockjob"]);
  assertEquals(runner.calls[1], ["blockjob", "--domain", "vm1", "--path", "vda", "--abort"]);
  assertEquals(audits.map((a) => [a.action, a.result]), [
    ["terminal", "ok"],
    ["terminal.stop", "ok"],
    ["terminal.exit", "failed"],
  ]);
});

Deno.test("a stream that ends by itself: lines, then exit 0, and the connection closes", async () => {
  const s = streamingScript([
    "\rBlock Copy: [ 50 %]",
    "\rBlock Copy: [100 %]\n",
    "Now in mirroring phase\n",
  ]);
  const runner = new FakeRunner(s.script);
  const { app, who } = terminalWorld(runner);
  who.role = "operator";
  const { stream } = await startCopy(app);
  s.release({ code: 0 });
  const res = await app.request(stream, { headers: HOST });
  // The response ends on its own after the exit message (readSse stops at the end of the body).
  const messages = await readSse(res, () => false).catch((e) => {
    throw new Error(`the stream did not close: ${e}`);
  });
  const parsed = messages.map((m) => JSON.parse(m.data));
  assertEquals(parsed.filter((m) => m.type === "line"), [
    { type: "line", stream: "stderr", text: "Block Copy: [100 %]" },
    { type: "line", stream: "stderr", text: "Now in mirroring phase" },
  ]);
  assertEquals(parsed.at(-1), { type: "exit", code: 0, stopped: false, message: "exit 0" });
  // A reconnect with Last-Event-ID gets nothing it already had.
  const again = await readSse(
    await app.request(stream, { headers: { ...HOST, "last-event-id": messages.at(-1)!.id } }),
    () => false,
  );
  assertEquals(again, []);
  assertEquals(runner.calls.length, 1); // no abort: it was not stopped
});

Deno.test("at most two running streams per user (429), unknown ids are 404", async () => {
  const s = streamingScript([]);
  const runner = new FakeRunner(s.script);
  const { app, who } = terminalWorld(runner);
  who.role = "operator";
  await startCopy(app);
  await startCopy(app);
  const res = await run(app, "blockpull vm1 vdb --wait");
  assertEquals(res.status, 429);
  s.release({ code: 0 });
  assertEquals(
    (await app.request(`/ui/terminal/stream/${crypto.randomUUID()}`, { headers: HOST })).status,
    404,
  );
  assertEquals(
    (await app.request("/ui/terminal/stream/not-a-uuid", { headers: HOST })).status,
    404,
  );
});

Deno.test("streams refuse a foreign Origin (403) and accept their own host", async () => {
  const { app } = terminalWorld(new FakeRunner());
  for (
    const origin of ["http://evil.example", "null", "http://localhost.evil.example", "file://x"]
  ) {
    const res = await app.request("/ui/terminal/events", { headers: { ...HOST, origin } });
    assertEquals(res.status, 403, origin);
    await res.body?.cancel();
  }
  const cross = await app.request("/ui/terminal/events", {
    headers: { ...HOST, "sec-fetch-site": "cross-site" },
  });
  assertEquals(cross.status, 403);
  const ok = await app.request("/ui/terminal/events", {
    headers: { ...HOST, origin: "http://localhost" },
  });
  assertEquals(ok.status, 200);
  await ok.body?.cancel();
  // The Host allowlist, when given, replaces the request's own Host.
  const listed = terminalWorld(new FakeRunner(), {
    allowedHosts: new Set(["board.example:8443"]),
  }).app;
  const res = await listed.request("/ui/terminal/events", {
    headers: { ...HOST, origin: "https://board.example:8443" },
  });
  assertEquals(res.status, 200);
  await res.body?.cancel();
  const refused = await listed.request("/ui/terminal/events", {
    headers: { ...HOST, origin: "http://localhost" },
  });
  assertEquals(refused.status, 403);
});

Deno.test("the event log: backlog on connect, live lines after, parsed domain and block job", async () => {
  const { app, feed } = terminalWorld(new FakeRunner());
  feed("2024-05-01 10:00:00.000+0000: event 'lifecycle' for domain 'vm1': Started Booted\n");
  feed("events received: 1\n");
  const res = await app.request("/ui/terminal/events", { headers: HOST });
  const got = readSse(res, (m) => m.length >= 2);
  await new Promise((r) => setTimeout(r, 50));
  feed(
    "2024-05-01 10:00:01.000+0000: event 'block-job-2' for domain 'vm1': Block Copy for vda ready\n",
  );
  const messages = await got;
  assertEquals(messages.map((m) => m.event), ["backlog", "line"]);
  const live = JSON.parse(messages[1].data);
  assertEquals(live.domain, "vm1");
  assertEquals(live.blockJob, { disk: "vda", status: "ready", jobType: "Block Copy" });
  assertStringIncludes(live.line, "Block Copy for vda ready");
});

Deno.test("dashboard actions are echoed with their command line; reads and terminal lines are not", async () => {
  const runner = new FakeRunner(() => ({ code: 0 }));
  const { app, who } = terminalWorld(runner);
  who.role = "operator";
  const cursor = await app.request("/ui/terminal/actions");
  const next = /data-next="(\d+)"/.exec(await cursor.text())![1];
  const record = (argv: string[], code = 0, stderr = "") =>
    runner.emit({
      argv: ["-c", runner.uri, ...argv],
      code,
      stdout: "",
      stderr,
      startedAt: new Date(),
      durationMs: 5,
    });
  record(["blockjob", "--domain", "u1", "--path", "vda", "--info", "--raw", "--bytes"]);
  record(["domstats", "--block", "--backing"]);
  record([
    "blockcopy",
    "--domain",
    "u1",
    "--path",
    "vda",
    "--dest",
    "/srv/a b.qcow2",
    "--format",
    "qcow2",
  ]);
  record(
    ["blockjob", "--domain", "u1", "--path", "vda", "--pivot"],
    1,
    "error: not ready for pivot yet\n",
  );
  // The terminal's own mutating line: shown in the pane already, not echoed again.
  await run(app, "blockjob u1 vda --abort");
  const res = await app.request(`/ui/terminal/actions?after=${next}`);
  const html = await res.text();
  const lines = [...html.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => m[1]);
  assertEquals(lines, [
    "virsh -c qemu:///fake blockcopy --domain u1 --path vda --dest &#39;/srv/a b.qcow2&#39; --format qcow2",
    "virsh -c qemu:///fake blockjob --domain u1 --path vda --pivot",
  ]);
  assertStringIncludes(html, "not ready for pivot yet");
  assertStringIncludes(html, "term-action");
  const after = /data-next="(\d+)"/.exec(html)![1];
  assertEquals(Number(after), Number(next) + 2);
  const none = await (await app.request(`/ui/terminal/actions?after=${after}`)).text();
  assertNotMatch(none, /term-action"/);
  assertEquals((await app.request("/ui/terminal/actions?after=-1")).status, 400);
});

Deno.test("history keeps each user's lines, refused ones too, newest last", async () => {
  const { app, who } = terminalWorld(new FakeRunner());
  await run(app, "list --all");
  await run(app, "list; x");
  who.user = "bob";
  await run(app, "version");
  who.user = "alice";
  const res = await app.request("/ui/terminal/history");
  assertEquals(await res.json(), { history: ["list --all", "list; x"] });
});
