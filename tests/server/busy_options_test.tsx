/**
 * The options busy hosts need, on the page and the API: the form inputs, the job card's options
 * and not-converging warning, and the routes through `app.request()` (400s naming the field and
 * the rule with no virsh call, the flags reaching the argv, and commit `delete` refused with 409
 * while another domain uses a layer). The real-VM side is tests/jobs/lab_busy_options_test.ts.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import type { Job } from "../../server/jobs/model.ts";
import { StartJobForms } from "../../views/job_forms.tsx";
import { jobOptionWords, JobStatus } from "../../views/job.tsx";
import { assertNoVirsh, messageOf, VM1, world } from "../support/app_world.ts";
import { formHtml, threeLayers } from "../support/start_forms.ts";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { fixture, IMG, NO_JOB } from "../jobs/fixtures.ts";

const FORM = "application/x-www-form-urlencoded";
const MiB = 1024 * 1024;
const API = `/api/v1/domains/${VM1.name}/disks/vda`;

Deno.test("forms: copy offers synchronous writes, granularity and buffer; pull and commit keep-relative; commit delete", () => {
  const { domain, disk } = threeLayers();
  const html = String(<StartJobForms domain={domain} disk={disk} copyDest="/img/c.qcow2" />);
  const copy = formHtml(html, "copy");
  assertMatch(copy, /<input type="checkbox" name="synchronousWrites" value="true"/);
  assertMatch(copy, /<select name="granularity">/);
  assertEquals((copy.match(/<option value="\d+">/g) ?? []).length, 18);
  assertStringIncludes(copy, '<option value="67108864">64 MiB</option>');
  assertStringIncludes(copy, '<option value="512">512 B</option>');
  assertMatch(copy, /name="bufSizeKiB" type="number" min="1" max="1048576"/);
  assertMatch(formHtml(html, "pull"), /name="keepRelative" value="true"/);
  const commit = formHtml(html, "commit");
  assertMatch(commit, /name="keepRelative" value="true"/);
  assertMatch(commit, /name="delete" value="true"/);
});

const WORDS: [Job["options"], string[]][] = [
  [undefined, []],
  [{}, []],
  [{ synchronousWrites: true }, ["synchronous writes"]],
  [{ granularity: 512, bufSize: 64 * MiB }, ["granularity 512 B", "buffer 64 MiB"]],
  [{ granularity: 65536 }, ["granularity 64 KiB"]],
  [{ keepRelative: true, delete: true }, ["keep relative", "delete committed layers"]],
];
for (const [options, words] of WORDS) {
  Deno.test(`jobOptionWords ${JSON.stringify(options)}`, () => {
    assertEquals(jobOptionWords(options), words);
  });
}

function copyJob(over: Partial<Job>): Job {
  return {
    type: "copy",
    phase: "running",
    cur: MiB,
    end: 30 * MiB,
    percent: 3.3,
    bandwidthBytes: 262144,
    rateBytesPerSecond: 262144,
    etaSeconds: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    domain: "vm1",
    uuid: VM1.uuid,
    target: "vda",
    elapsedSeconds: 40,
    finishedAt: null,
    readyAt: null,
    converging: false,
    adopted: false,
    outcome: null,
    updatedAt: "2026-01-01T00:00:40.000Z",
    ...over,
  };
}

Deno.test("job card: the options it started with, and the not-converging sentence while running", () => {
  const sentence = "not converging: the remaining bytes grew from 2.0 MiB to 29.0 MiB over 36 s";
  const html = String(
    <JobStatus
      job={copyJob({
        options: { synchronousWrites: true, granularity: 65536 },
        notConverging: sentence,
      })}
    />,
  );
  assertStringIncludes(html, "options: synchronous writes, granularity 64 KiB");
  assertMatch(html, /class="warning job-warning job-not-converging" role="alert">not converging:/);
  assert(!html.includes("Falling behind"), "one warning, not two");
  // Before 30 s of growth: only the short-window hint.
  const early = String(<JobStatus job={copyJob({ notConverging: null })} />);
  assertStringIncludes(early, "Falling behind");
  assert(!early.includes("job-not-converging"));
  // A finished job shows neither.
  const done = String(
    <JobStatus job={copyJob({ phase: "canceled", finishedAt: "x", notConverging: sentence })} />,
  );
  assert(!done.includes("job-not-converging"));
});

Deno.test("API and form: bad tuning values are 400s naming the field and the rule, with no virsh call", async () => {
  const w = await world();
  try {
    const as = await w.login("operator");
    const dest = `${w.root}/c.qcow2`;
    const table: [string, unknown, RegExp][] = [
      ["copy", { dest, granularity: 768 }, /^granularity: must be a power of two/],
      ["copy", { dest, granularity: 256 }, /^granularity: must be between 512 B and 64 MiB/],
      ["copy", { dest, granularity: 128 * MiB }, /^granularity: must be between 512 B and 64 MiB/],
      ["copy", { dest, bufSize: 2 * 1024 * MiB }, /^bufSize: must be at most 1 GiB/],
      ["copy", { dest, synchronousWrites: "yes" }, /^synchronousWrites: must be true or false/],
      ["pull", { keepRelative: 1 }, /^keepRelative: must be true or false/],
      ["commit", { delete: "true" }, /^delete: must be true or false/],
      ["commit", { deleteLayers: true }, /unknown field "deleteLayers".*keepRelative, delete/],
    ];
    for (const [op, json, message] of table) {
      w.runner.calls.length = 0;
      const res = await w.request(`${API}/${op}`, { as, json });
      assertEquals(res.status, 400, JSON.stringify(json));
      assertMatch(await messageOf(res), message);
      assertNoVirsh(w.runner);
    }
    w.runner.calls.length = 0;
    const form = await w.request(`/ui/domains/${VM1.uuid}/disks/vda/copy`, {
      as,
      body: `dest=${encodeURIComponent(dest)}&format=qcow2&granularity=768`,
      type: FORM,
    });
    assertEquals(form.status, 400);
    assertMatch(await messageOf(form), /granularity: must be a power of two/);
    assertEquals(w.runner.calls.filter((c) => c[0] === "blockcopy"), []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("API: a tuned copy runs with the flags and the job names its options", async () => {
  const w = await world();
  try {
    const as = await w.login("operator");
    const dest = `${w.root}/tuned.qcow2`;
    const res = await w.request(`${API}/copy`, {
      as,
      json: { dest, synchronousWrites: true, granularity: 65536, bufSize: MiB },
    });
    const body = await res.json();
    assertEquals(res.status, 202, JSON.stringify(body));
    const call = w.runner.calls.find((c) => c[0] === "blockcopy")!;
    assertEquals(call.slice(call.indexOf("--synchronous-writes")), [
      "--synchronous-writes",
      "--granularity",
      "65536",
      "--buf-size",
      String(MiB),
    ]);
    assertEquals(body.job.options, { synchronousWrites: true, granularity: 65536, bufSize: MiB });
    assertEquals(body.job.notConverging, null);
    // keep-relative without a base is refused before anything runs.
    w.runner.calls.length = 0;
    const pull = await w.request(`${API}/pull`, { as, json: { keepRelative: true } });
    assertEquals(pull.status, 400);
    assertMatch(await messageOf(pull), /^keepRelative: needs a base/);
    assertEquals(w.runner.calls.filter((c) => c[0] === "blockpull"), []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("API: commit with delete is a 409 naming the file and the domain that shares it; nothing runs", async () => {
  const VM2 = { uuid: "0b6d1b5e-64c2-4b53-9a3c-2f0e4f6a9d11", name: "bbfix-vm2" };
  const vm2Xml = fixture("dumpxml-vm1-running.xml").replace(VM1.uuid, VM2.uuid)
    .replace(`<name>${VM1.name}</name>`, `<name>${VM2.name}</name>`);
  let listed = true;
  const runner = new FakeRunner((args) => {
    const [cmd] = args;
    if (cmd === "list") {
      if (args.includes("--persistent")) return `${VM1.uuid}\n\n`;
      if (args.includes("--name")) return `${VM1.uuid} ${VM1.name}\n${VM2.uuid} ${VM2.name}\n\n`;
      return listed ? `${VM1.uuid}\n${VM2.uuid}\n\n` : `${VM1.uuid}\n\n`;
    }
    if (cmd === "domstate") return "running\n\n";
    if (cmd === "dumpxml") {
      return args.includes(VM2.uuid) ? vm2Xml : fixture("dumpxml-vm1-running.xml");
    }
    if (cmd === "blockjob" && args.includes("--info")) return NO_JOB;
    return "";
  });
  const app = createApp(
    createServices(runner, { inventoryCacheMs: 0, monitor: { sampling: false, events: false } }),
  );
  const post = (json: unknown) =>
    app.request(`${API}/commit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(json),
    });
  const res = await post({ top: `${IMG}/snap1.qcow2`, base: `${IMG}/base.qcow2`, delete: true });
  const message = await messageOf(res);
  assertEquals(res.status, 409, message);
  assertEquals(
    message,
    `commit with delete would delete ${IMG}/snap1.qcow2, which domain ${VM2.name}, disk vda still uses. Commit without delete, or stop that domain from using it first.`,
  );
  assertEquals(runner.calls.filter((c) => c[0] === "blockcommit"), []);
  // The form's preview says the same before Start.
  const preview = await app.request(`/ui/domains/${VM1.uuid}/disks/vda/preview/commit`, {
    method: "POST",
    headers: { "content-type": FORM },
    body: new URLSearchParams({
      top: `${IMG}/snap1.qcow2`,
      base: `${IMG}/base.qcow2`,
      delete: "true",
    }).toString(),
  });
  assertStringIncludes(await preview.text(), "which domain bbfix-vm2, disk vda still uses");
  // VM1's own use of its layers does not count: the same commit without VM2 starts.
  listed = false;
  const started = await post({
    top: `${IMG}/snap1.qcow2`,
    base: `${IMG}/base.qcow2`,
    delete: true,
  });
  assertEquals(started.status, 202, await started.clone().text());
  const call = runner.calls.find((c) => c[0] === "blockcommit")!;
  assertEquals(call.slice(-1), ["--delete"]);
  assertEquals((await started.json()).job.options, { delete: true });
});
