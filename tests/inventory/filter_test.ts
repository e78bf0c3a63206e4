/** The dashboard query: zod validation with a sentence, name/state/job filters, natural order. */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  filterDomains,
  jobsRunningNow,
  parseDashboardQuery,
} from "../../server/inventory/filter.ts";
import { diskOf, domainOf, jobOn } from "./dashboard_fixtures.ts";

const domains = [
  domainOf("web-10"),
  domainOf("web-2", "paused"),
  domainOf("DB-1", "shut off"),
  domainOf("web-1", "running", [diskOf("vda", 2, jobOn("web-1", "vda")), diskOf("vdb")]),
  domainOf("old", "running", [diskOf("vda", 1, jobOn("old", "vda", "completed", 100))]),
];
const names = (q: Record<string, string>) => {
  const parsed = parseDashboardQuery(q);
  if (!parsed.ok) throw new Error(parsed.error);
  return filterDomains(domains, parsed.query).map((d) => d.name);
};

Deno.test("no query: every domain, natural order, case-insensitive", () => {
  assertEquals(names({}), ["DB-1", "old", "web-1", "web-2", "web-10"]);
  assertEquals(names({ q: "", state: "", job: "" }), names({}));
});

Deno.test("name substring, any case, trimmed", () => {
  assertEquals(names({ q: "WEB" }), ["web-1", "web-2", "web-10"]);
  assertEquals(names({ q: " b-1 " }), ["DB-1", "web-1", "web-10"]);
  assertEquals(names({ q: "nothing" }), []);
});

Deno.test("state and job filters, alone and together", () => {
  assertEquals(names({ state: "shut off" }), ["DB-1"]);
  assertEquals(names({ state: "paused" }), ["web-2"]);
  assertEquals(names({ job: "yes" }), ["web-1"], "a finished job is not running");
  assertEquals(names({ job: "no" }), ["DB-1", "old", "web-2", "web-10"]);
  assertEquals(names({ q: "web", state: "running", job: "no" }), ["web-10"]);
});

Deno.test("bad values are refused with one sentence naming what is allowed", () => {
  const state = parseDashboardQuery({ state: "on" });
  assert(!state.ok);
  assertStringIncludes(state.error, "running, paused, shut off");
  const job = parseDashboardQuery({ job: "maybe" });
  assert(!job.ok);
  assertStringIncludes(job.error, "job must be yes, no or empty");
  const long = parseDashboardQuery({ q: "x".repeat(201) });
  assert(!long.ok);
  assertStringIncludes(long.error, "longer than 200 characters");
  assert(parseDashboardQuery({ q: "x".repeat(200), other: "ignored" }).ok);
});

Deno.test("jobs running now: every active job, by domain then disk; finished ones left out", () => {
  const many = [
    domainOf("b-10", "running", [diskOf("vdb", 1, jobOn("b-10", "vdb", "ready", 100))]),
    domainOf("b-9", "running", [
      diskOf("vdb", 1, jobOn("b-9", "vdb")),
      diskOf("vda", 1, jobOn("b-9", "vda")),
    ]),
    ...domains,
  ];
  assertEquals(jobsRunningNow(many).map((j) => `${j.domain}/${j.target}/${j.phase}`), [
    "b-9/vda/running",
    "b-9/vdb/running",
    "b-10/vdb/ready",
    "web-1/vda/running",
  ]);
});
