/** The dashboard's parts as markup: compact rows, the filter form, the jobs strip, lazy previews. */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { diskSummary, DomainResults } from "../../views/domain_list.tsx";
import { DomainFilters } from "../../views/dashboard_filters.tsx";
import { JobsStrip } from "../../views/jobs_strip.tsx";
import { PREVIEW_TRIGGER, StartJobForms } from "../../views/job_forms.tsx";
import { diskOf, domainOf, jobOn } from "../inventory/dashboard_fixtures.ts";

Deno.test("a row: escaped name linking to the domain page, state, disk summary, job badge", () => {
  const hostile = domainOf(`<b>x</b> it's`, "shut off");
  const busy = domainOf("vm 2", "running", [
    diskOf("vda", 3, jobOn("vm 2", "vda", "running", 42.5)),
  ]);
  const html = String(<DomainResults domains={[hostile, busy]} total={3} />);
  assertStringIncludes(html, `href="/domains/%3Cb%3Ex%3C%2Fb%3E%20it&#39;s"`);
  assertStringIncludes(html, "&lt;b&gt;x&lt;/b&gt; it&#39;s");
  assert(!html.includes("<b>x</b>"));
  assertStringIncludes(html, `class="state state-shut-off"`);
  assertStringIncludes(html, "1: vda qcow2 ×3");
  assertStringIncludes(html, "copy vda 42.5%");
  assertStringIncludes(html, "2 of 3 domains");
  assert(!html.includes('class="chain"'), "no chains on the list");
  assert(!html.includes("start-jobs"), "no forms on the list");
});

Deno.test("disk summary: none, a few, and more than three", () => {
  assertEquals(diskSummary([]), "none");
  assertEquals(
    diskSummary(["vda", "vdb", "vdc", "vdd", "vde"].map((t) => diskOf(t))),
    "5: vda qcow2 ×1, vdb qcow2 ×1, vdc qcow2 ×1, +2",
  );
});

Deno.test("empty states: no domains at all, nothing matching, a refused query", () => {
  assertStringIncludes(String(<DomainResults domains={[]} total={0} />), "No domains");
  const none = String(<DomainResults domains={[]} total={7} />);
  assertStringIncludes(none, "No domain matches (of 7)");
  assertStringIncludes(none, `<a href="/">Show all domains</a>`);
  const bad = String(<DomainResults domains={[]} total={0} error="Bad filter: x." />);
  assertStringIncludes(bad, `id="domain-results"`);
  assertStringIncludes(bad, "Bad filter: x.");
});

Deno.test("the filter form is a plain GET form that htmx turns into list swaps with a URL push", () => {
  const html = String(<DomainFilters query={{ q: `a"b`, state: "shut off", job: "yes" }} />);
  assertStringIncludes(html, `method="get" action="/"`);
  assertStringIncludes(html, `hx-get="/"`);
  assertStringIncludes(html, `hx-target="#domain-results"`);
  assertStringIncludes(html, `hx-push-url="true"`);
  assertStringIncludes(html, `name="q" value="a&quot;b"`);
  assertStringIncludes(html, `<option value="shut off" selected>shut off</option>`);
  assertStringIncludes(html, `<option value="yes" selected>`);
  assert(!/hx-on|\[/.test(html), "no hx-on and no trigger filter (strict CSP)");
});

Deno.test("the jobs strip lists each job with its domain link, disk, type, phase and percent", () => {
  const html = String(
    <JobsStrip jobs={[jobOn("web 1", "vdb", "running", 12.5), jobOn("db", "vda", "ready", 100)]} />,
  );
  assertStringIncludes(html, `href="/domains/web%201"`);
  assertStringIncludes(html, `data-target="vdb" data-phase="running"`);
  assertStringIncludes(html, "12.5%");
  assertStringIncludes(html, `<span class="badge badge-ready">ready</span>`);
  assertStringIncludes(html, `hx-trigger="load delay:2s"`);
  assertStringIncludes(String(<JobsStrip jobs={[]} />), "No block job is running.");
});

Deno.test("previews are asked for when the panel opens, never on load", () => {
  const html = String(<StartJobForms domain={domainOf("vm")} disk={diskOf("vda", 3)} />);
  const triggers = [...html.matchAll(/hx-trigger="([^"]*)"/g)].map((m) => m[1]);
  assertEquals(triggers.length, 3);
  for (const t of triggers) {
    assertEquals(t.replaceAll("&#39;", "'"), PREVIEW_TRIGGER);
    assert(!/\bload\b/.test(t), t);
    assertStringIncludes(t, "toggle once from:");
  }
});
