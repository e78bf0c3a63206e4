/**
 * The registry with scripted runners for what the lab cannot show on demand: a host whose calls
 * hang (packets dropped) and one that refuses at once. The real multi-host behaviour is in
 * `lab_hosts_test.ts`.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Hono } from "hono";
import type { AppEnv } from "../../server/env.ts";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { hostsRoutes } from "../../server/hosts/routes.tsx";
import type { HostSpec } from "../../server/hosts/model.ts";
import { createApp } from "../../server/app.tsx";
import { FakeRunner, type FakeScript } from "../support/fake_runner.ts";
import { VM1 } from "../jobs/fixtures.ts";
import { vm1Running } from "../support/app_world.ts";
import { openDatabase } from "../../server/db.ts";
import { AuditLog } from "../../server/audit/log.ts";
import { auditVirshCalls } from "../../server/audit/web.ts";

const REFUSED =
  "failed to connect to the hypervisor\nerror: unable to connect to server at '10.77.9.2:16509': Connection refused";

function world() {
  const releases: (() => void)[] = [];
  /** Hangs until its own deadline (as the real runner kills virsh), else until the test ends. */
  const hanging: FakeScript = (_args, options) =>
    new Promise((resolve) => {
      const done = () => resolve({ fail: "timeout" });
      if (options.timeoutMs) {
        const timer = setTimeout(done, options.timeoutMs);
        releases.push(() => clearTimeout(timer));
      }
      releases.push(done);
    });
  const runners = new Map<string, FakeRunner>();
  const scripts: Record<string, FakeScript> = {
    local: vm1Running,
    slow: hanging,
    gone: () => ({ error: REFUSED }),
    other: vm1Running,
  };
  const hosts: HostSpec[] = Object.keys(scripts).map((name) => ({
    name,
    uri: name === "local" ? "qemu:///system" : `qemu+tcp://${name}.example/system`,
  }));
  const registry = createHostRegistry({
    hosts,
    runnerFor: (spec) => {
      const runner = Object.assign(new FakeRunner(scripts[spec.name], spec.uri), {
        close: () => Promise.resolve(),
      });
      runners.set(spec.name, runner);
      return runner;
    },
    probeTimeoutMs: 200,
    backoffMs: { initial: 60_000, max: 60_000 },
  });
  const app = new Hono<AppEnv>().route("/", hostsRoutes({ registry, deadlineMs: 300 }));
  return {
    registry,
    runners,
    app,
    async cleanup() {
      releases.forEach((release) => release());
      await registry.stop();
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

Deno.test("a hanging host costs one deadline, then fails fast; the others answer in full", async () => {
  const w = world();
  try {
    const first = await timed(async () => (await w.app.request("/api/v1/hosts")).json());
    assert(first.ms < 300 + 250, `first answer took ${first.ms} ms`);
    const byName = Object.fromEntries(
      first.value.hosts.map((h: { name: string }) => [h.name, h]),
    );
    assertEquals(byName.local.reachable, true);
    assertEquals(byName.local.domains, 1);
    assertEquals(byName.local.jobs, 0);
    assertEquals(byName.other.domains, 1);
    assertEquals(byName.slow.reachable, false);
    assertEquals(byName.slow.domains, null);
    assertMatch(byName.slow.lastError, /slow .* did not answer within 300 ms/);
    assertEquals(byName.gone.reachable, false);
    assertMatch(byName.gone.lastError, /Connection refused/);

    // The deadline made the registry probe the slow host (200 ms): it is now known to be down.
    await w.registry.get("slow")!.checkNow();
    const slow = w.registry.get("slow")!;
    assertEquals(slow.reachable, false);
    assert(slow.status().nextRetryAt !== null);
    const callsBefore = w.runners.get("slow")!.calls.length;
    const second = await timed(async () => (await w.app.request("/api/v1/hosts")).json());
    assert(second.ms < 50, `with the hanging host known down the answer took ${second.ms} ms`);
    assertEquals(w.runners.get("slow")!.calls.length, callsBefore, "no call reached the dead host");
    const slowNow = second.value.hosts.find((h: { name: string }) => h.name === "slow");
    assertMatch(slowNow.lastError, /did not answer in time/);
    assert(slowNow.since && slowNow.nextRetryAt);
    assertEquals(second.value.hosts.find((h: { name: string }) => h.name === "local").domains, 1);

    // The all-hosts page: a banner for each host down, the others' domains with their host.
    const page = await (await w.app.request("/hosts")).text();
    assertMatch(page, /data-host-banner="slow"/);
    assertMatch(page, /data-host-banner="gone"/);
    assert(!page.includes(`data-host-banner="local"`));
    assertMatch(page, /Host gone \(qemu\+tcp:\/\/gone.example\/system\) is not answering/);
    assertMatch(page, /Connection refused/);
    assertMatch(page, /Next retry at/);
    assertMatch(page, new RegExp(`data-host="other" data-domain="${VM1.name}"`));
    assertMatch(page, new RegExp(`href="/hosts/other/domains/${VM1.name}"`));
    assertMatch(page, new RegExp(`href="/domains/${VM1.name}"`)); // the default host's own path
  } finally {
    await w.cleanup();
  }
});

Deno.test("per-host routes: each host's API and pages, unknown host 404, a dead host's 503 at once", async () => {
  const w = world();
  try {
    const local = w.registry.default.services;
    const app = createApp({ ...local, hosts: w.registry });
    const own = await app.request("/api/v1/hosts/other/domains");
    assertEquals(own.status, 200);
    assertEquals((await own.json()).domains.map((d: { name: string }) => d.name), [VM1.name]);
    assertEquals((await app.request("/api/v1/domains")).status, 200); // unqualified: default
    const unknown = await app.request("/api/v1/hosts/nope/domains");
    assertEquals(unknown.status, 404);
    const body = await unknown.json();
    assertEquals(body.error.code, "unknown_host");
    assertMatch(body.error.message, /no host called "nope"; the hosts are: local, slow, gone/);
    assertEquals((await app.request("/hosts/nope/")).status, 404);
    // A dead host answers at once with the sentence (503), not after a deadline.
    const dead = await timed(async () => await app.request("/api/v1/hosts/gone/domains"));
    assertEquals(dead.value.status, 503);
    assertMatch((await dead.value.json()).error.message, /Connection refused/);
    // A host's page keeps its links on the host.
    const page = await (await app.request("/hosts/other")).text();
    assertMatch(page, new RegExp(`href="/hosts/other/domains/${VM1.name}"`));
    const job = await app.request(`/api/v1/hosts/other/domains/${VM1.name}/disks/vda/job`);
    assertEquals(job.status, 200);
  } finally {
    await w.cleanup();
  }
});

Deno.test("audit: each host's mutating virsh calls are filed under that host", () => {
  const db = openDatabase(":memory:");
  const audit = new AuditLog(db);
  const runners = { local: new FakeRunner(), hv1: new FakeRunner(() => "", "qemu+tcp://h/system") };
  const stops = Object.entries(runners).map(([host, runner]) =>
    auditVirshCalls(runner, audit, () => null, host)
  );
  const call = (runner: FakeRunner) =>
    runner.emit({
      argv: ["-c", runner.uri, "blockjob", "--domain", "vm", "--path", "vda", "--abort"],
      code: 0,
      stdout: "",
      stderr: "",
      startedAt: new Date(),
      durationMs: 1,
    });
  call(runners.hv1);
  call(runners.local);
  runners.hv1.emit({
    argv: ["-c", runners.hv1.uri, "list", "--all"],
    code: 0,
    stdout: "",
    stderr: "",
    startedAt: new Date(),
    durationMs: 1,
  });
  const { entries } = audit.query();
  assertEquals(entries.map((e) => [e.host, e.argv?.[1]]).toSorted(), [
    ["hv1", "qemu+tcp://h/system"],
    ["local", "qemu:///fake"],
  ]);
  stops.forEach((stop) => stop());
  audit.close();
  db.close();
});

Deno.test("terminal: each host's own, echoing virsh -c ITS URI; the selector lists every host", async () => {
  const w = world();
  try {
    const app = createApp({ ...w.registry.default.services, hosts: w.registry });
    const run = (path: string) =>
      app.request(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
        body: new URLSearchParams({ command: "list --all" }),
      });
    const other = await (await run("/hosts/other/ui/terminal/run")).text();
    assertMatch(other, /virsh -c qemu\+tcp:\/\/other\.example\/system list --all/);
    assertEquals(w.runners.get("other")!.count("list", "--all"), 1);
    assertEquals(w.runners.get("local")!.count("list", "--all"), 0);
    const local = await (await run("/ui/terminal/run")).text();
    assertMatch(local, /virsh -c qemu:\/\/\/system list --all/);
    const api = await app.request("/api/v1/hosts/other/terminal", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ command: "list --all" }),
    });
    assertEquals(api.status, 200);
    assertEquals(w.runners.get("other")!.count("list", "--all"), 2);
    // A host's page: its terminal posts to that host and names its URI; the selector has all.
    const page = await (await app.request("/hosts/other")).text();
    assertMatch(page, /data-base="\/hosts\/other\/ui\/terminal"/);
    assertMatch(page, /hx-post="\/hosts\/other\/ui\/terminal\/run"/);
    assertMatch(page, /virsh -c qemu\+tcp:\/\/other\.example\/system/);
    for (const name of ["local", "slow", "gone", "other"]) {
      assertMatch(page, new RegExp(`<nav class="term-hosts"[^]*data-host="${name}"`));
    }
    assertMatch(
      page,
      /<a href="\/hosts\/other#terminal" data-host="other"[^>]*aria-current="true"/,
    );
  } finally {
    await w.cleanup();
  }
});
