/**
 * The start forms and their preview: what the markup promises static/app.js (state number,
 * replace-sync, confirmation on pull and commit), what the preview route echoes, and the command
 * a Start shows after it ran.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
} from "@std/assert";
import type { JobPlan } from "../../server/jobs/plan.ts";
import { confirmQuestion, PlanPreview, StartJobForms } from "../../views/job_forms.tsx";
import { VM1, world } from "../support/app_world.ts";
import { IMG } from "../jobs/fixtures.ts";
import { formHtml, threeLayers } from "../support/start_forms.ts";

const FORM = "application/x-www-form-urlencoded";

Deno.test("forms: pull and commit ask before starting, copy does not; no inline script", () => {
  const { domain, disk } = threeLayers();
  const html = String(<StartJobForms domain={domain} disk={disk} copyDest="/img/c.qcow2" />);
  assertNotMatch(html, /<script|hx-on|onclick|javascript:/i);
  assertNotMatch(formHtml(html, "copy"), /hx-confirm/);
  assertMatch(formHtml(html, "pull"), /hx-confirm="Start the pull\? [^"]*for good/);
  assertMatch(formHtml(html, "commit"), /hx-confirm="Start the commit\? [^"]*for good/);
});

Deno.test("forms: every preview carries a state number and replaces its request in flight", () => {
  const { domain, disk } = threeLayers();
  const html = String(<StartJobForms domain={domain} disk={disk} copyDest="/img/c.qcow2" />);
  for (const op of ["copy", "pull", "commit"]) {
    const form = formHtml(html, op);
    assertStringIncludes(form, '<input type="hidden" name="previewSeq" value="0">', op);
    assertMatch(form, /<div class="preview" data-preview="[a-z]+"[^>]* hx-sync="replace"/, op);
    assertStringIncludes(form, "updating the preview", op);
  }
});

const PULL_PLAN: JobPlan = {
  type: "pull",
  argv: ["blockpull"],
  commandLine: "virsh -c qemu:///system blockpull --domain x --path vda",
  bandwidthBytes: 0,
  chainAfter: [{ path: `${IMG}/snap2.qcow2`, format: "qcow2" }],
  notes: ["every backing layer's data is copied into snap2"],
};

Deno.test("confirmQuestion: names the image that changes, the notes and the chain afterwards", () => {
  assertEquals(
    confirmQuestion(PULL_PLAN),
    `Start the pull? ${IMG}/snap2.qcow2 changes for good; this cannot be undone.\n\n` +
      "every backing layer's data is copied into snap2\n\n" +
      `Chain afterwards: ${IMG}/snap2.qcow2`,
  );
  const commit: JobPlan = {
    ...PULL_PLAN,
    type: "commit",
    base: `${IMG}/base.qcow2`,
    chainAfter: [
      { path: `${IMG}/snap2.qcow2`, format: "qcow2" },
      { path: `${IMG}/base.qcow2`, format: "qcow2" },
    ],
    notes: [],
  };
  assertEquals(
    confirmQuestion(commit),
    `Start the commit? ${IMG}/base.qcow2 changes for good; this cannot be undone.\n\n` +
      `Chain afterwards: ${IMG}/snap2.qcow2 ← ${IMG}/base.qcow2`,
  );
  assertEquals(confirmQuestion({ ...PULL_PLAN, type: "copy" }), null);
});

Deno.test("PlanPreview echoes the state number on a plan and on an error", () => {
  assertStringIncludes(String(<PlanPreview plan={PULL_PLAN} seq="12" />), 'data-seq="12"');
  assertStringIncludes(String(<PlanPreview plan={null} error="nope" seq="3" />), 'data-seq="3"');
});

Deno.test("preview route: echoes previewSeq in a header and the fragment", async () => {
  const w = await world();
  try {
    const as = await w.login("operator");
    const res = await w.request(`/ui/domains/${VM1.uuid}/disks/vda/preview/copy`, {
      as,
      body: `dest=${encodeURIComponent(`${w.root}/c.qcow2`)}&format=qcow2&previewSeq=17`,
      type: FORM,
    });
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("x-preview-seq"), "17");
    const html = await res.text();
    assertStringIncludes(html, 'data-seq="17"');
    assertStringIncludes(html, "blockcopy");
    // A bad number is not echoed.
    const odd = await w.request(`/ui/domains/${VM1.uuid}/disks/vda/preview/copy`, {
      as,
      body: `dest=${encodeURIComponent(`${w.root}/c.qcow2`)}&format=qcow2&previewSeq=x"`,
      type: FORM,
    });
    assertEquals(odd.headers.get("x-preview-seq"), null);
  } finally {
    await w.cleanup();
  }
});

Deno.test("Start plans afresh from the submitted form and shows the command it ran", async () => {
  const w = await world();
  try {
    const as = await w.login("operator");
    const dest = `${w.root}/started.qcow2`;
    const res = await w.request(`/ui/domains/${VM1.uuid}/disks/vda/copy`, {
      as,
      body: `dest=${encodeURIComponent(dest)}&format=qcow2&bandwidthMiB=3&previewSeq=4`,
      type: FORM,
    });
    const html = await res.text();
    assertEquals(res.status, 200, html);
    const call = w.runner.calls.find((c) => c[0] === "blockcopy");
    assert(call, "blockcopy ran");
    assert(call.includes(dest) && call.includes(String(3 * 1048576)), call.join(" "));
    assertMatch(html, /class="job-ran"/);
    assertStringIncludes(html, `--dest ${dest}`);
    assertStringIncludes(html, "--bandwidth 3145728");
  } finally {
    await w.cleanup();
  }
});
