/**
 * The rendered HTML of every page kind, with the security layer on: one h1, a skip link to the
 * main area, a keyboard-scrollable event log, progress bars named after their job, and refusals
 * shown to browsers as the app's styled page while API and JSON clients keep JSON.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { world } from "../support/app_world.ts";
import { JobStatus } from "../../views/job.tsx";
import type { Job } from "../../server/jobs/model.ts";

const HTML = "text/html,application/xhtml+xml";

function count(html: string, re: RegExp): number {
  return html.match(new RegExp(re.source, "g"))?.length ?? 0;
}

Deno.test("every page has one h1 and a skip link to the main area as the first thing in body", async () => {
  const w = await world();
  try {
    const operator = await w.login("operator");
    const admin = await w.login("admin");
    const pages: Array<[string, typeof operator | null, number]> = [
      ["/", operator, 200],
      ["/admin/users", admin, 200],
      ["/domains/bbfix-vm1", operator, 200],
      ["/audit", operator, 200],
      ["/no-such-page", operator, 404],
      ["/login", null, 200],
    ];
    for (const [path, as, status] of pages) {
      const res = await w.request(path, { as, headers: { accept: HTML } });
      assertEquals(res.status, status, path);
      const html = await res.text();
      assertEquals(count(html, /<h1[\s>]/), 1, `${path}: exactly one h1`);
      assertMatch(
        html,
        /<body[^>]*>\s*<a class="skip-link" href="#content">Skip to content<\/a>/,
        `${path}: skip link first`,
      );
      assertEquals(count(html, /<main id="content" tabindex="-1">/), 1, `${path}: skip target`);
    }
  } finally {
    await w.cleanup();
  }
});

Deno.test("the event log is focusable, a log, and labelled", async () => {
  const w = await world();
  try {
    const html = await (await w.request("/", { as: await w.login("viewer") })).text();
    const list = /<ol class="term-events-list"[^>]*>/.exec(html)?.[0] ?? "";
    assertStringIncludes(list, 'tabindex="0"');
    assertStringIncludes(list, 'role="log"');
    assertMatch(list, /aria-label="[^"]+"/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("a job's progress bar is named after its job type, domain and disk", async () => {
  const job: Job = {
    type: "copy",
    phase: "running",
    cur: 1,
    end: 4,
    percent: 25,
    bandwidthBytes: 0,
    rateBytesPerSecond: null,
    etaSeconds: null,
    startedAt: "2025-01-01T00:00:00Z",
    domain: "web <1>",
    uuid: "704cf090-1533-475a-a0f6-1f81adb2fb5c",
    target: "vdb",
    elapsedSeconds: 3,
    finishedAt: null,
    readyAt: null,
    converging: null,
    adopted: false,
    outcome: null,
    updatedAt: "2025-01-01T00:00:03Z",
  };
  const html = String(await (<JobStatus job={job} />).toString());
  const bar = /<progress[^>]*>/.exec(html)?.[0] ?? "";
  assertStringIncludes(bar, 'aria-label="Copy progress of domain web &lt;1&gt;, disk vdb"');
});

Deno.test("guard refusals are styled pages for browsers, JSON for the API and JSON clients", async () => {
  const w = await world();
  try {
    // The Origin check refuses a logout posted from another site.
    const page = await w.request("/logout", {
      body: "",
      type: "application/x-www-form-urlencoded",
      headers: { origin: "https://evil.example", accept: HTML },
    });
    assertEquals(page.status, 403);
    assertMatch(page.headers.get("content-type") ?? "", /^text\/html/);
    assertMatch(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assertStringIncludes(html, '<link rel="stylesheet" href="/static/app.css"');
    assertStringIncludes(html, "403 Forbidden");
    assertStringIncludes(html, "&quot;https://evil.example&quot; is not an allowed host");

    const json = await w.request("/logout", {
      body: "",
      type: "application/x-www-form-urlencoded",
      headers: { origin: "https://evil.example", accept: "application/json" },
    });
    assertEquals(json.status, 403);
    assertEquals((await json.json()).error.code, "cross_site");

    // The role gate: a viewer opening the audit log.
    const viewer = await w.login("viewer");
    const gate = await w.request("/audit", { as: viewer, headers: { accept: HTML } });
    assertEquals(gate.status, 403);
    const gateHtml = await gate.text();
    assertStringIncludes(gateHtml, "This needs the operator role");
    assertStringIncludes(gateHtml, 'class="error-page"');
    assertStringIncludes(gateHtml, "viewer", "the header still says who is signed in");

    const api = await w.request("/api/v1/domains", {
      headers: { accept: HTML, origin: "https://evil.example" },
      method: "DELETE",
    });
    assertEquals(api.status, 403);
    assertMatch(api.headers.get("content-type") ?? "", /application\/json/);

    // htmx swaps what it gets into a fragment: never a whole page.
    const htmx = await w.request("/audit", {
      as: viewer,
      headers: { accept: HTML, "hx-request": "true" },
    });
    assertEquals(htmx.status, 403);
    assert(!(await htmx.text()).includes("<html"), "no page inside a fragment");
  } finally {
    await w.cleanup();
  }
});
