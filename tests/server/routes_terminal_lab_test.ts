/**
 * The terminal routes against real libvirt: a viewer reads a real chain; an operator streams a
 * throttled blockcopy, sees its progress, stops it, and no job is left behind.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labVirsh, waitFor } from "../lab/lab.ts";
import { readSse, terminalWorld } from "../support/terminal_app.ts";

const HOST = { host: "localhost" };

/** Both route groups; lab tests run without a storage-root restriction. */
function mountBoth(runner: SpawnRunner) {
  return terminalWorld(runner);
}

Deno.test("lab: a viewer's domblklist through the API shows the domain's real disk", async () => {
  await using dom = await createLabDomain({ name: `bbterm-${crypto.randomUUID().slice(0, 8)}` });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const { app, audits } = mountBoth(runner);
  const res = await app.request("/api/v1/terminal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command: `domblklist --domain ${dom.uuid} --details` }),
  });
  const body = await res.json();
  assertEquals(res.status, 200, JSON.stringify(body));
  assertEquals(body.exitCode, 0);
  assertMatch(body.stdout, new RegExp(`file\\s+disk\\s+vda\\s+${dom.disks[0].chain[0]}`));
  // A viewer may not start a job: refused before anything runs.
  const before = runner.spawned;
  const refused = await app.request("/api/v1/terminal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command: `blockpull --domain ${dom.uuid} --path vda` }),
  });
  assertEquals(refused.status, 403);
  assertEquals(runner.spawned, before);
  assertEquals(audits.map((a) => a.result), ["ok", "refused"]);
});

Deno.test("lab: an operator streams a throttled blockcopy, sees progress, stops it, no job is left", async () => {
  await using dom = await createLabDomain({ name: `bbterm-${crypto.randomUUID().slice(0, 8)}` });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const { app, who, audits } = mountBoth(runner);
  who.role = "operator";
  const line =
    `blockcopy --domain ${dom.uuid} --path vda --dest ${dom.dir}/t.qcow2 --format qcow2 ` +
    `--transient-job --bandwidth 1 --wait --verbose`;
  const res = await app.request("/ui/terminal/run", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ command: line }),
  });
  assertEquals(res.status, 200);
  const html = await res.text();
  assertStringIncludes(
    html,
    `virsh -c qemu:///system blockcopy --domain ${dom.uuid} --path vda --dest ${dom.dir}/t.qcow2`,
  );
  const stream = /data-stream-url="([^"]+)"/.exec(html)![1];
  const stop = /hx-post="([^"]+)"/.exec(html)![1];

  const progress = await readSse(
    await app.request(stream, { headers: HOST }),
    (m) => m.some((x) => /Block Copy: \[\s*\d+ %\]/.test(JSON.parse(x.data).text ?? "")),
    20_000,
  );
  assert(progress.length > 0);
  const info = await labVirsh(
    "blockjob",
    "--domain",
    dom.uuid,
    "--path",
    "vda",
    "--info",
    "--raw",
    "--bytes",
  );
  assertStringIncludes(info.stdout, "type=Block Copy");

  assertEquals((await app.request(stop, { method: "POST" })).status, 204);
  const rest = await readSse(
    await app.request(stream, { headers: HOST }),
    (m) => m.some((x) => JSON.parse(x.data).type === "exit"),
    20_000,
  );
  const exit = JSON.parse(rest.at(-1)!.data);
  assertEquals(exit.stopped, true, JSON.stringify(rest));
  assertStringIncludes(exit.message, "job aborted");
  const texts = rest.map((m) => JSON.parse(m.data).text ?? "");
  assert(
    texts.some((t) => t.includes("blockjob --domain") && t.includes("--abort")),
    texts.join("|"),
  );

  await waitFor("no block job on vda", async () => {
    const r = await labVirsh(
      "blockjob",
      "--domain",
      dom.uuid,
      "--path",
      "vda",
      "--info",
      "--raw",
      "--bytes",
    );
    return r.code === 0 && r.stdout.trim() === "";
  });
  assertEquals(audits.map((a) => a.action), ["terminal", "terminal.stop", "terminal.exit"]);
  assertEquals(audits[1].result, "ok");
});
