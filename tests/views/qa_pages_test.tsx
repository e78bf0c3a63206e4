/**
 * What a first operator ran into, as markup: readable times in a down host's banner, the
 * all-hosts page with one h1 and the dashboard's styled table, the host of each audit entry,
 * a confirmation before disabling a user, and the error page of a host's pages (that host's URI,
 * the host switcher, no "back" link looping to the host that does not answer).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import { contextStorage } from "hono/context-storage";
import type { AppEnv } from "../../server/env.ts";
import { HttpError } from "../../server/http_errors.ts";
import { errorHandler, notFoundHandler } from "../../server/routes/error_pages.tsx";
import { formatUtc } from "../../server/text/utc.ts";
import { hostProblemText, HostsPage } from "../../views/hosts.tsx";
import { AuditPage } from "../../views/audit.tsx";
import { UsersSection } from "../../views/admin.tsx";
import { StoredOutcome } from "../../views/job_history.tsx";
import type { AuditEntry } from "../../server/audit/entry.ts";
import { domainOf } from "../inventory/dashboard_fixtures.ts";

Deno.test("formatUtc: ISO instants as the pages write times; other values as given", () => {
  const cases: [string | null | undefined, string][] = [
    ["2026-11-29T10:55:29.854Z", "2026-11-29 10:55:29 UTC"],
    ["2026-11-29T10:55:29Z", "2026-11-29 10:55:29 UTC"],
    ["2026-11-29T11:55:29+01:00", "2026-11-29 10:55:29 UTC"],
    ["not a time", "not a time"],
    [null, "—"],
    [undefined, "—"],
  ];
  for (const [input, want] of cases) assertEquals(formatUtc(input), want, String(input));
});

Deno.test("a down host's banner says since when and the next retry in readable UTC", () => {
  const text = hostProblemText({
    name: "hv2",
    uri: "qemu+tcp://10.0.0.2/system",
    problem: null,
    status: {
      reachable: false,
      lastError: "Connection refused",
      since: "2026-11-29T10:55:29.854Z",
      nextRetryAt: "2026-11-29T10:55:35.887Z",
    },
  });
  assertEquals(
    text,
    "Connection refused. Unreachable since 2026-11-29 10:55:29 UTC. Next retry at 2026-11-29 10:55:35 UTC.",
  );
});

Deno.test("all hosts: one h1, the dashboard's table and state badges, names escaped", () => {
  const status = { reachable: true, lastError: null, since: null, nextRetryAt: null };
  const html = String(
    <HostsPage
      uri="qemu:///system"
      session={null}
      hosts={[
        {
          name: "local",
          uri: "qemu:///system",
          isDefault: true,
          domains: [domainOf(`<b>x</b>`, "shut off")],
          jobs: [],
          status,
          problem: null,
        },
        {
          name: "hv2",
          uri: "qemu+tcp://h/system",
          isDefault: false,
          domains: [domainOf("web", "running")],
          jobs: [],
          status,
          problem: null,
        },
      ]}
    />,
  );
  assertEquals(html.match(/<h1[ >]/g)?.length, 1);
  assertStringIncludes(html, `<table class="domain-table" id="all-domains">`);
  assertStringIncludes(html, `<span class="state state-shut-off">shut off</span>`);
  assertStringIncludes(html, `<span class="state state-running">running</span>`);
  assertStringIncludes(html, `href="/hosts/hv2/domains/web"`);
  assert(!html.includes("<b>x</b>"));
});

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: 1,
  at: Date.parse("2026-11-29T10:53:58.654Z"),
  user: "alice",
  role: "operator",
  client: "127.0.0.1",
  action: "POST /ui/hosts/hv2/domains/web/migrate (migrate)",
  argv: null,
  result: "ok",
  message: "",
  count: 1,
  lastAt: Date.parse("2026-11-29T10:53:58.654Z"),
  domain: "web",
  host: "hv2",
  ...over,
});

Deno.test("audit page: each entry names its host (the JSON export has it too)", () => {
  const html = String(
    <AuditPage
      uri="qemu:///system"
      session={null}
      entries={[entry({}), entry({ id: 2, host: null, domain: null, action: "login" })]}
      total={2}
      filter={{}}
      query=""
    />,
  );
  assertStringIncludes(html, "<th>Host</th>");
  assertStringIncludes(html, `<td data-label="Host" class="audit-host">hv2</td>`);
  assertStringIncludes(html, `<td data-label="Host" class="audit-host"></td>`);
  assertStringIncludes(html, `<td data-label="Client" class="audit-client">127.0.0.1</td>`);
});

Deno.test("admin: Disable asks first (it ends the user's sessions), Enable does not", () => {
  const user = (name: string, disabled: boolean) => ({
    id: 1,
    name,
    role: "operator" as const,
    disabled,
    createdAt: 0,
    updatedAt: 0,
    lastLoginAt: null,
  });
  const html = String(
    <UsersSection users={[user("bob", false), user("carol", true)]} self="admin" />,
  );
  const disable = html.match(/<button[^>]*data-action="disable"[^>]*>/)?.[0] ?? "";
  assertMatch(disable, /hx-confirm="Disable user bob\? Their sessions end now/);
  const enable = html.match(/<button[^>]*data-action="enable"[^>]*>/)?.[0] ?? "";
  assert(enable !== "" && !enable.includes("hx-confirm"), enable);
});

/** An app like createApp's for these answers: hosts to choose from, a host mount, the handlers. */
function hostsApp() {
  const app = new Hono<AppEnv>();
  app.use(contextStorage());
  app.use("*", async (c, next) => {
    c.set("hostChoices", [
      { name: "local", uri: "qemu:///system", href: "/" },
      { name: "hv2", uri: "qemu+tcp://10.0.0.2/system", href: "/hosts/hv2" },
    ]);
    await next();
  });
  app.use("/hosts/hv2/*", async (c, next) => {
    c.set("hostBase", "/hosts/hv2");
    await next();
  });
  app.use("/hosts/hv2", async (c, next) => {
    c.set("hostBase", "/hosts/hv2");
    await next();
  });
  app.get("/hosts/hv2", () => {
    throw new HttpError(503, "host_unreachable", "Host hv2 is unreachable since …");
  });
  app.get("/hosts/hv2/domains/:name", (c) => {
    throw new HttpError(404, "not_found", `No domain named "${c.req.param("name")}"`);
  });
  app.notFound(notFoundHandler({ uri: "qemu:///system" }));
  app.onError(errorHandler({ uri: "qemu:///system" }));
  return app;
}

const page = { headers: { accept: "text/html" } };

Deno.test("error page of a host that does not answer: its URI, the switcher, a way out", async () => {
  const res = await hostsApp().request("/hosts/hv2", page);
  assertEquals(res.status, 503);
  const html = await res.text();
  assertStringIncludes(
    html,
    `<span class="uri" title="libvirt connection">qemu+tcp://10.0.0.2/system</span>`,
  );
  assertStringIncludes(html, `<nav class="host-switcher" aria-label="Hosts">`);
  assertMatch(html, /<a href="\/hosts\/hv2" data-host="hv2"[^>]*aria-current="page"/);
  assertStringIncludes(html, `<a href="/hosts">See all hosts</a>`);
  assert(
    !html.includes(`<a href="/hosts/hv2">Back to all domains</a>`),
    "a link back into the 503",
  );
});

Deno.test("error page of a missing domain on a host: back to that host's domains", async () => {
  const res = await hostsApp().request("/hosts/hv2/domains/gone", page);
  assertEquals(res.status, 404);
  const html = await res.text();
  assertStringIncludes(html, `qemu+tcp://10.0.0.2/system</span>`);
  assertStringIncludes(html, `<a href="/hosts/hv2">Back to all domains</a>`);
});

Deno.test("error page on the default host: its URI, the switcher with local current", async () => {
  const res = await hostsApp().request("/nowhere", page);
  assertEquals(res.status, 404);
  const html = await res.text();
  assertStringIncludes(html, `<span class="uri" title="libvirt connection">qemu:///system</span>`);
  assertMatch(html, /<a href="\/" data-host="local"[^>]*aria-current="page"/);
  assertStringIncludes(html, `<a href="/">Back to all domains</a>`);
});

Deno.test("error page with one host: no switcher, as before", async () => {
  const app = new Hono<AppEnv>();
  app.use(contextStorage());
  app.notFound(notFoundHandler({ uri: "qemu:///system" }));
  const html = await (await app.request("/nowhere", page)).text();
  assert(!html.includes("host-switcher"));
  assertStringIncludes(html, `<a href="/">Back to all domains</a>`);
});

Deno.test("a disk's last outcome from the database names its type as the live card does", () => {
  const html = String(
    <StoredOutcome
      canControl={false}
      record={{
        id: 1,
        host: "local",
        type: "active-commit",
        uuid: "u",
        domain: "web",
        target: "vda",
        startedBy: "alice",
        startedAt: "2026-11-29T10:00:00.000Z",
        finishedAt: "2026-11-29T10:01:00.000Z",
        phase: "canceled",
        outcome: "canceled before ready",
        message: "",
        cur: 1,
        end: 2,
        bandwidthBytes: 0,
        dest: null,
        leftChain: [],
        cleaned: [],
      }}
    />,
  );
  assertStringIncludes(html, `<strong class="job-type">Active commit</strong>`);
});
