/**
 * `GET /metrics` through the real app (`app.request`, no socket) over a counting scripted runner:
 * the format and content type, the job gauges with hostile domain names read back by a real
 * parser, a scrape that runs no virsh, the route label of the HTTP counter, finished jobs, and
 * who may scrape (bearer API token, the metrics token, open mode; never a session or nothing).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createSecurity, createServices, type Services } from "../../server/services.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { allowedHosts } from "../../server/security/host.ts";
import { EXPOSITION_CONTENT_TYPE } from "../../server/metrics/exposition.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { testSecurity } from "../support/security.ts";
import { family, parseExposition, valueOf } from "../support/prometheus.ts";

const HOST = "127.0.0.1:8080";
const URL_BASE = `http://${HOST}`;
const UUID = "7d3c4bde-4d0a-4bb4-9f65-3f1f7a3c2d10";
const HOSTILE = 'vm "prod"\\db\nsecond line';
const METRICS_TOKEN = "metrics-token-0123456789abcdef";

function services(runner = new FakeRunner()): Services {
  return createServices(runner, {
    inventoryCacheMs: 0,
    monitor: { sampling: false, events: false },
  });
}

/** A copy job on the hostile domain, sampled at `cur` of 1000 bytes. */
function runningCopy(s: Services, cur: number) {
  const ref = { uuid: UUID, target: "vda" };
  if (!s.monitor.book.peek(ref)) {
    s.monitor.book.begin({ ...ref, domain: HOSTILE, type: "copy", bandwidthBytes: 1048576 });
    s.monitor.book.confirm(ref);
  }
  s.monitor.book.applySample(ref, {
    typeName: "Block Copy",
    type: "copy",
    bandwidth: 1048576,
    cur,
    end: 1000,
  });
  return ref;
}

async function scrape(app: ReturnType<typeof createApp>, headers: Record<string, string> = {}) {
  const res = await app.request(`${URL_BASE}/metrics`, { headers });
  return { res, text: await res.text() };
}

Deno.test("a scrape lists the job with its labels escaped, reads memory only, and parses", async () => {
  const runner = new FakeRunner();
  const s = services(runner);
  const app = createApp(s);
  runningCopy(s, 250);
  const before = runner.calls.length;
  const { res, text } = await scrape(app);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), EXPOSITION_CONTENT_TYPE);
  for (let i = 0; i < 5; i++) await scrape(app);
  assertEquals(runner.calls.length, before, "a scrape ran virsh");

  const families = parseExposition(text);
  const labels = { host: "local", domain: HOSTILE, disk: "vda", type: "copy", phase: "running" };
  assertEquals(valueOf(families, "blockboard_job_progress_ratio", labels), 0.25);
  assertEquals(valueOf(families, "blockboard_job_bytes_done", labels), 250);
  assertEquals(valueOf(families, "blockboard_job_bytes_total", labels), 1000);
  assertEquals(valueOf(families, "blockboard_job_bandwidth_limit_bytes", labels), 1048576);
  assertEquals(valueOf(families, "blockboard_jobs_active", { host: "local" }), 1);
  assertEquals(valueOf(families, "blockboard_libvirt_up", { host: "local" }), 0);
  // One sample: no rate and no ETA yet, so no series (not a made-up 0).
  assertEquals(family(families, "blockboard_job_rate_bytes_per_second").metrics, []);
  assertEquals(family(families, "blockboard_job_eta_seconds").metrics, []);
  for (const f of families) assert(f.help !== "", `${f.name} has no HELP`);
  assertEquals(family(families, "blockboard_virsh_call_duration_seconds").type, "HISTOGRAM");
  assertEquals(family(families, "blockboard_jobs_finished_total").type, "COUNTER");
});

Deno.test("finished jobs are counted once by type and outcome; active jobs leave the gauges", async () => {
  const s = services();
  const app = createApp(s);
  const ref = runningCopy(s, 1000);
  s.monitor.book.markReady(ref);
  s.monitor.book.finish(ref, "pivoted");
  // A repeated end of an ended job is not a second job.
  s.monitor.book.finish(ref, "failed");
  const families = parseExposition((await scrape(app)).text);
  assertEquals(
    valueOf(families, "blockboard_jobs_finished_total", {
      host: "local",
      type: "copy",
      outcome: "pivoted",
    }),
    1,
  );
  assertEquals(family(families, "blockboard_jobs_finished_total").metrics.length, 1);
  assertEquals(family(families, "blockboard_job_progress_ratio").metrics, []);
  assertEquals(valueOf(families, "blockboard_jobs_active", { host: "local" }), 0);
});

Deno.test("virsh calls are counted by subcommand from the runner's hook", async () => {
  const runner = new FakeRunner((args) => args[0] === "list" ? { stdout: "\n" } : "");
  const s = services(runner);
  const app = createApp(s);
  await s.runner.run(["list", "--all"]);
  await s.runner.run(["list", "--all"]);
  await s.runner.run(["domblklist", "--domain", "x"]).catch(() => {});
  const families = parseExposition((await scrape(app)).text);
  assertEquals(valueOf(families, "blockboard_virsh_calls_total", { command: "list" }), 2);
  assertEquals(valueOf(families, "blockboard_virsh_calls_total", { command: "domblklist" }), 1);
  const text = (await scrape(app)).text;
  assertStringIncludes(
    text,
    'blockboard_virsh_call_duration_seconds_count{host="local",command="list"} 2',
  );
});

Deno.test("HTTP requests are counted by route pattern, never by raw path", async () => {
  const s = services();
  const app = createApp(s);
  for (const name of ["a", "b", encodeURIComponent('x"y')]) {
    await app.request(`${URL_BASE}/api/v1/domains/${name}/disks/vda/job`);
  }
  await app.request(`${URL_BASE}/no/such/${crypto.randomUUID()}`);
  await app.request(`${URL_BASE}/healthz`);
  const families = parseExposition((await scrape(app)).text);
  const series = family(families, "blockboard_http_requests_total").metrics;
  const routes = new Set(series.map((m) => m.labels?.route));
  assert(routes.has("/api/v1/domains/:name/disks/:target/job"), [...routes].join(" "));
  assert(routes.has("/healthz"));
  assert(routes.has("unmatched"));
  assert(
    ![...routes].some((r) => r?.includes("/a/") || r?.includes("/no/such")),
    [...routes].join(" "),
  );
  const jobRequests = series.filter((m) =>
    m.labels?.route === "/api/v1/domains/:name/disks/:target/job"
  )
    .reduce((n, m) => n + Number(m.value), 0);
  assertEquals(jobRequests, 3);
  assertEquals(valueOf(families, "blockboard_http_requests_total", { route: "unmatched" }), 1);
});

Deno.test("access: a bearer API token or the metrics token; no token is a 401 once credentials exist", async () => {
  const s = services();
  const security = testSecurity();
  const app = createApp({ ...s, security: { ...security, metricsToken: METRICS_TOKEN } });
  // Open mode (loopback, no users, no tokens): scraping needs nothing.
  assertEquals((await scrape(app)).res.status, 200);
  await security.users.create("ada", "admin", "ada-password-long");
  const { token: viewerToken } = await security.tokens.create("grafana", "viewer");

  const anonymous = await scrape(app);
  assertEquals(anonymous.res.status, 401);
  assertStringIncludes(anonymous.res.headers.get("www-authenticate") ?? "", "Bearer");
  assertEquals((await scrape(app, { authorization: `Bearer ${viewerToken}` })).res.status, 200);
  const byMetricsToken = await scrape(app, { authorization: `Bearer ${METRICS_TOKEN}` });
  assertEquals(byMetricsToken.res.status, 200);
  assertEquals(
    family(parseExposition(byMetricsToken.text), "blockboard_jobs_active").type,
    "GAUGE",
  );
  for (
    const bad of [
      `Bearer ${METRICS_TOKEN}x`,
      "Bearer bbt_0000000000000000_nope",
      "Basic YTpi",
      "Bearer",
    ]
  ) {
    assertEquals((await scrape(app, { authorization: bad })).res.status, 401, bad);
  }
  // A signed-in session is not a scrape credential.
  const login = await app.request(`${URL_BASE}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: URL_BASE },
    body: "username=ada&password=ada-password-long",
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  assert(cookie.startsWith("bb_session="), `login failed: ${login.status}`);
  assertEquals((await scrape(app, { cookie })).res.status, 401);
  // The metrics token opens nothing else.
  const api = await app.request(`${URL_BASE}/api/v1/domains`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  assertEquals(api.status, 401);
  // The Host allowlist still applies.
  const foreign = await app.request("http://evil.example/metrics", {
    headers: { authorization: `Bearer ${viewerToken}` },
  });
  assertEquals(foreign.status, 421);
  // Refusals are counted too.
  const families = parseExposition(
    (await scrape(app, { authorization: `Bearer ${viewerToken}` })).text,
  );
  assert(
    (valueOf(families, "blockboard_http_requests_total", { route: "/metrics", status: "401" }) ??
      0) >= 5,
  );
});

Deno.test("off loopback there is no open mode: without credentials a scrape is still refused", async () => {
  const security = createSecurity({
    db: openDatabase(IN_MEMORY),
    allowedHosts: allowedHosts({
      listenHost: "192.0.2.1",
      port: 8080,
      machineHostname: "",
      interfaceAddresses: [],
    }),
    listenHost: "192.0.2.1",
    secureCookie: false,
  });
  assertEquals(security.hasCredentials(), false);
  const app = createApp({ ...services(), security });
  const res = await app.request("http://192.0.2.1:8080/metrics");
  assertEquals(res.status, 401);
  assertEquals((await app.request("http://192.0.2.1:8080/healthz")).status, 200);
});
