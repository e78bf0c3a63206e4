/**
 * `POST /api/v1/terminal`: allowed lines run once with the checked argv; refused lines answer
 * 400/403 with the reason, are audited, and never start a process.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { VirshError } from "../../server/virsh/errors.ts";
import { lineOf, terminalWorld } from "../support/terminal_app.ts";
import { FakeRunner } from "../support/fake_runner.ts";

type App = ReturnType<typeof terminalWorld>["app"];

function post(app: App, body: unknown) {
  return app.request("/api/v1/terminal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Lines refused for everyone (400) or for a viewer (403), with a word the reason must contain. */
const REFUSED: [string, 400 | 403, string][] = [
  ["list; reboot vm1", 400, ";"],
  ["list | tee /etc/passwd", 400, "|"],
  ["list & list", 400, "&"],
  ["list\nreboot vm1", 400, "line breaks"],
  ["-c qemu:///session list", 400, "-c"],
  ["--connect qemu:///session list", 400, "--connect"],
  ["list -l /tmp/log", 400, "-l"],
  ["connect qemu:///session", 400, "connect"],
  ["edit vm1", 400, "edit"],
  ["console vm1", 400, "console"],
  ["qemu-monitor-command vm1 info", 400, "qemu-monitor-command"],
  ["qemu-agent-command vm1 x", 400, "qemu-agent-command"],
  ["!sh", 400, "shell escapes"],
  ["domblklist vm1 --evil", 400, "--evil"],
  ["dumpxml vm1 --security-info", 400, "--security-info"],
  ["blockcopy vm1 vda /var/lib/x.qcow2 --format qcow2", 403, "operator"],
  ["blockjob vm1 vda --abort", 403, "operator"],
  ["", 400, "empty"],
];

Deno.test("refused lines answer 400/403 with the reason, are audited, and run nothing", async () => {
  const runner = new FakeRunner();
  const { app, audits } = terminalWorld(runner);
  for (const [line, status, word] of REFUSED) {
    const res = await post(app, { command: line });
    const body = await res.json();
    assertEquals(res.status, status, `${JSON.stringify(line)}: ${JSON.stringify(body)}`);
    assertEquals(body.error.code === "forbidden", status === 403, JSON.stringify(body));
    assertStringIncludes(body.error.message, word, line);
  }
  assertEquals(runner.calls.length, 0);
  assertEquals(audits.length, REFUSED.length);
  assert(audits.every((a) => a.result === "refused" && a.argv === null && a.user === "alice"));
  assertEquals(audits.map(lineOf), REFUSED.map(([l]) => l));
});

Deno.test("refused lines never spawn a process (SpawnRunner.spawned stays 0)", async () => {
  const runner = new SpawnRunner({ uri: "qemu:///system", binary: "/nonexistent/virsh" });
  const { app, who } = terminalWorld(runner);
  who.role = "operator";
  for (const [line, status] of REFUSED) {
    if (status === 403) continue; // an operator may run those
    const res = await post(app, { command: line });
    assertEquals(res.status, 400, line);
  }
  // A blockcopy without a format is refused by the rules even for an operator.
  const res = await post(app, { command: "blockcopy vm1 vda /tmp/x.qcow2" });
  assertEquals(res.status, 400);
  assertEquals(runner.spawned, 0);
});

Deno.test("a viewer's domblklist runs once with the rewritten argv and returns the output", async () => {
  const runner = new FakeRunner((args) =>
    args[0] === "domblklist"
      ? { stdout: " Target   Source\n vda  /x.qcow2\n", stderr: "", code: 0 }
      : { code: 1 }
  );
  const { app, audits } = terminalWorld(runner);
  const res = await post(app, { command: "virsh domblklist vm1" });
  assertEquals(res.status, 200);
  assertEquals(await res.json(), {
    exitCode: 0,
    stdout: " Target   Source\n vda  /x.qcow2\n",
    stderr: "",
  });
  assertEquals(runner.calls.length, 1);
  assertEquals(runner.calls[0], ["domblklist", "--domain", "vm1"]);
  assertEquals(runner.options[0].allowFailure, true);
  assertEquals(runner.options[0].timeoutMs, 60_000);
  assertEquals(audits, [{
    user: "alice",
    role: "viewer",
    client: "127.0.0.1",
    action: "terminal",
    argv: ["-c", "qemu:///fake", "domblklist", "--domain", "vm1"],
    result: "ok",
    message: "exit 0 | line: virsh domblklist vm1",
    domain: "vm1",
  }]);
});

Deno.test("a failing command is 200 with its exit code and stderr, audited as failed", async () => {
  const runner = new FakeRunner(() => ({
    stderr: "error: failed to get domain 'nope'\n",
    code: 1,
  }));
  const { app, audits } = terminalWorld(runner);
  const res = await post(app, { command: "dominfo nope" });
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.exitCode, 1);
  assertStringIncludes(body.stderr, "failed to get domain");
  assertEquals(audits[0].result, "failed");
});

Deno.test("an operator's --wait command runs to its end with the long deadline", async () => {
  const runner = new FakeRunner(() => ({
    stderr: "\rBlock Copy: [100 %]\nNow in mirroring phase\n",
  }));
  const { app, who } = terminalWorld(runner);
  who.role = "operator";
  const res = await post(app, {
    command: "blockcopy vm1 vda /srv/t.qcow2 --format qcow2 --transient-job --wait --verbose",
  });
  assertEquals(res.status, 200);
  assertEquals((await res.json()).exitCode, 0);
  assertEquals(runner.options[0].timeoutMs, 10 * 60_000);
  assertEquals(runner.calls[0].slice(0, 7), [
    "blockcopy",
    "--domain",
    "vm1",
    "--path",
    "vda",
    "--dest",
    "/srv/t.qcow2",
  ]);
});

Deno.test("the copy policy refuses a destination outside the storage roots (400, nothing runs)", async () => {
  const runner = new FakeRunner();
  const { app, who, audits } = terminalWorld(runner, { storageRoots: ["/srv"] });
  who.role = "operator";
  const res = await post(app, {
    command: "blockcopy vm1 vda /etc/shadow --format raw --transient-job",
  });
  assertEquals(res.status, 400);
  assertStringIncludes((await res.json()).error.message, "not inside a storage root");
  assertEquals(runner.calls.length, 0);
  assertEquals(audits[0].result, "refused");
});

Deno.test("no role is 401, a bad body is 400, libvirt down is 503", async () => {
  const runner = new FakeRunner(() => {
    throw new VirshError({ argv: [], code: null, stderr: "", kind: "unreachable" });
  });
  const { app, who } = terminalWorld(runner);
  who.role = null;
  let res = await post(app, { command: "list" });
  assertEquals(res.status, 401);
  assertEquals((await res.json()).error.code, "unauthenticated");
  assertEquals(runner.calls.length, 0);
  who.role = "viewer";
  for (const bad of ["not json", { cmd: "list" }, { command: 5 }, { command: "list", x: 1 }]) {
    res = await post(app, bad);
    assertEquals(res.status, 400, JSON.stringify(bad));
    assertEquals((await res.json()).error.code, "invalid_input");
  }
  assertEquals(runner.calls.length, 0);
  res = await post(app, { command: "list" });
  assertEquals(res.status, 503);
  assertEquals((await res.json()).error.code, "libvirt_unavailable");
});
