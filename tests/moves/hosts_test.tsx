/**
 * Moves per host, through `app.request()` on a registry of scripted hosts: every move route is
 * mounted under `/api/v1/hosts/{host}` and `/hosts/{host}` over that host's own engine; a host
 * with a remote URI refuses a move with the sentence (400, nothing run) and its pages show the
 * sentence instead of the form; each host's engine keeps and resumes only its own moves.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../std_assert.ts";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import type { HostSpec } from "../../server/hosts/model.ts";
import { createApp } from "../../server/app.tsx";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { type MoveRecord, SqliteMoveStore } from "../../server/moves/store.ts";
import { movesUnavailable } from "../../server/moves/host_files.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { VM1 } from "../jobs/fixtures.ts";
import { vm1Running } from "../support/app_world.ts";

const FAR_URI = "qemu+ssh://root@far.example/system";

function world() {
  const db = openDatabase(IN_MEMORY);
  const hosts: HostSpec[] = [
    { name: "local", uri: "qemu:///system" },
    { name: "far", uri: FAR_URI },
  ];
  const runners = new Map<string, FakeRunner>();
  const registry = createHostRegistry({
    hosts,
    db,
    runnerFor: (spec) => {
      const runner = Object.assign(new FakeRunner(vm1Running, spec.uri), {
        close: () => Promise.resolve(),
      });
      runners.set(spec.name, runner);
      return runner;
    },
    serviceOptions: (_spec, isDefault) => ({
      storageRoots: isDefault ? ["/var/lib/libvirt/images"] : [],
      monitor: { sampling: false, events: false },
    }),
  });
  const app = createApp({ ...registry.default.services, hosts: registry });
  return { db, registry, runners, app };
}

Deno.test("movesUnavailable: only hosts whose files are on this machine can move", () => {
  const table: [string, boolean][] = [
    ["qemu:///system", true],
    ["qemu:///session", true],
    ["test:///default", true],
    ["qemu+ssh://root@far.example/system", false],
    ["qemu+tcp://10.0.0.2/system", false],
    ["qemu+ssh://localhost/system", false],
  ];
  for (const [uri, local] of table) assertEquals(movesUnavailable("h", uri) === null, local, uri);
  assertEquals(
    movesUnavailable("far", FAR_URI),
    `storage moves need the host's files on this machine (blockboard runs qemu-img here), and host far is ${FAR_URI}; on host far use a volume copy or a migration instead`,
  );
});

Deno.test("a remote host refuses a move with the sentence and shows it instead of the form", async () => {
  const { app, runners } = world();
  const before = runners.get("far")!.calls.length;
  const res = await app.request(`/api/v1/hosts/far/domains/${VM1.name}/move`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ destDir: "/var/lib/libvirt/images/x" }),
  });
  assertEquals(res.status, 400);
  const body = await res.json();
  assertEquals(body.error.code, "invalid_input");
  assertMatch(body.error.message, /on host far use a volume copy or a migration instead$/);
  // Refused before the engine read anything: only the route's name lookup (the inventory) ran.
  assertEquals(
    runners.get("far")!.calls.slice(before).map((c) => c[0])
      .filter((c) => !["list", "domstats", "dumpxml"].includes(c)),
    [],
  );
  // The host's moves and queue are its own, and empty.
  assertEquals(await (await app.request("/api/v1/hosts/far/moves")).json(), { moves: [] });
  assertEquals((await app.request("/api/v1/hosts/far/moves/queue")).status, 200);

  const page = await (await app.request(`/hosts/far/domains/${VM1.name}`)).text();
  assertStringIncludes(page, 'class="muted move-unavailable"');
  assertStringIncludes(page, "Storage moves need the host&#39;s files on this machine");
  assert(!page.includes('class="move-form"'), "no form on a remote host");
});

Deno.test("the dashboard's move queue panel: on the local host's pages, not on a remote host's", async () => {
  const { app } = world();
  // [page, panel shown]
  const table: [string, boolean][] = [
    ["/", true],
    ["/hosts/local", true],
    ["/hosts/far", false],
  ];
  for (const [path, shown] of table) {
    const res = await app.request(path);
    assertEquals(res.status, 200, path);
    const page = await res.text();
    assertEquals(page.includes('id="move-queue"'), shown, `${path}: the panel`);
    assertEquals(page.includes("ui/moves/queue"), shown, `${path}: its poller`);
  }
  // A poller left over on a page asks and gets nothing back to show.
  const stale = await app.request("/hosts/far/ui/moves/queue");
  assertEquals(stale.status, 200);
  assertEquals(await stale.text(), "");
  assertEquals((await app.request("/hosts/local/ui/moves/queue")).status, 200);
});

Deno.test("the local host's move routes and pages under /hosts/local, links on the host", async () => {
  const { app } = world();
  const unknown = crypto.randomUUID();
  const missing = await app.request(`/api/v1/hosts/local/moves/${unknown}`);
  assertEquals(missing.status, 404);
  assertMatch((await missing.json()).error.message, /No move/);
  assertEquals(await (await app.request("/api/v1/hosts/local/moves")).json(), { moves: [] });
  // A bad body is refused by the same schema as unqualified.
  const bad = await app.request(`/api/v1/hosts/local/domains/${VM1.name}/move`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ destDir: "/x", sync: true }),
  });
  assertEquals(bad.status, 400);
  assertMatch((await bad.json()).error.message, /unknown field "sync"/);
  const page = await (await app.request(`/hosts/local/domains/${VM1.name}`)).text();
  assert(!page.includes("move-unavailable"));
  assertStringIncludes(page, `hx-post="/hosts/local/ui/domains/${VM1.uuid}/move/review"`);
  const unqualified = await (await app.request(`/domains/${VM1.name}`)).text();
  assertStringIncludes(unqualified, `hx-post="/ui/domains/${VM1.uuid}/move/review"`);
  assertEquals((await app.request(`/hosts/local/ui/moves/queue`)).status, 200);
});

Deno.test("each host's store holds its own moves (host column); older rows are the default's", () => {
  const db = openDatabase(IN_MEMORY);
  const record = (id: string): MoveRecord =>
    ({
      move: { id, uuid: VM1.uuid, domain: VM1.name, state: "done", startedAt: id, finishedAt: id },
      plan: {},
      createdFiles: [],
      createdDirs: [],
    }) as unknown as MoveRecord;
  new SqliteMoveStore(db, "far").save(record("2026-01-02"));
  new SqliteMoveStore(db).save(record("2026-01-01"));
  db.prepare(
    "INSERT INTO moves (id, uuid, domain, state, started_at, record) VALUES (?, ?, ?, ?, ?, ?)",
  ).run("old", VM1.uuid, VM1.name, "done", "2025", JSON.stringify(record("2025")));
  assertEquals(new SqliteMoveStore(db, "far").list().map((r) => r.move.id), ["2026-01-02"]);
  assertEquals(new SqliteMoveStore(db, "local").list().map((r) => r.move.id), [
    "2026-01-01",
    "2025",
  ]);
});
