/**
 * `GET /metrics` of a dashboard over three hosts (scripted runners: `hv2` answers, `gone`
 * refuses): each host's jobs under their own `host` label, `libvirt_up` per host from the
 * registry's reachability, virsh calls and finished jobs per host, migrations and storage moves;
 * and a scrape that runs no virsh on any host. Parsed with the npm exposition parser.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { family, parseExposition, valueOf } from "../support/prometheus.ts";
import {
  copyingMigration,
  moveIn,
  REFUSED,
  runningJob,
  scriptedRegistry,
  StubMigrations,
  StubMoves,
} from "../support/control_plane.ts";

const UUID1 = "6b8f2a52-1c1e-4e59-9d55-3f6d6f1a0001";
const UUID2 = "6b8f2a52-1c1e-4e59-9d55-3f6d6f1a0002";

function world() {
  const { registry, runners } = scriptedRegistry({
    local: () => "",
    hv2: () => "",
    gone: () => ({ error: REFUSED }),
  });
  const app = createApp({ ...registry.default.services, hosts: registry });
  const metrics = registry.default.services.metrics;
  const calls = () => [...runners.values()].reduce((n, r) => n + r.calls.length, 0);
  const scrape = async () => {
    const before = calls();
    const res = await app.request("http://127.0.0.1:8080/metrics");
    assertEquals(res.status, 200);
    text = await res.text();
    const families = parseExposition(text);
    assertEquals(calls(), before, "a scrape ran virsh on some host");
    return families;
  };
  let text = "";
  return { registry, runners, metrics, scrape, text: () => text };
}

Deno.test("every host's jobs carry their host; libvirt_up follows each host's reachability", async () => {
  const w = world();
  try {
    // One metrics for the control plane: every host's services share it.
    for (const h of w.registry.list()) assert(h.services.metrics === w.metrics, h.name);
    const local = w.registry.get("local")!.services;
    const hv2 = w.registry.get("hv2")!.services;
    runningJob(local, UUID1, "web-1", { cur: 250 });
    runningJob(hv2, UUID2, 'db "main"', { type: "pull", cur: 750 });
    runningJob(hv2, UUID2, 'db "main"', { target: "vdb", cur: 100 });
    // The registry learns that gone refuses (its probe runs `virsh uri`).
    await w.registry.get("gone")!.checkNow();
    assertEquals(w.registry.get("gone")!.reachable, false);

    const families = await w.scrape();
    const ratio = family(families, "blockboard_job_progress_ratio").metrics;
    assertEquals(
      ratio.map((m) => [m.labels?.host, m.labels?.domain, m.labels?.disk, Number(m.value)]).sort(),
      [
        ["hv2", 'db "main"', "vda", 0.75],
        ["hv2", 'db "main"', "vdb", 0.1],
        ["local", "web-1", "vda", 0.25],
      ],
    );
    assertEquals(
      valueOf(families, "blockboard_job_bytes_done", { host: "hv2", type: "pull" }),
      750,
    );
    for (const [host, active] of [["local", 1], ["hv2", 2], ["gone", 0]] as const) {
      assertEquals(valueOf(families, "blockboard_jobs_active", { host }), active, host);
    }
    assertEquals(valueOf(families, "blockboard_libvirt_up", { host: "local" }), 1);
    assertEquals(valueOf(families, "blockboard_libvirt_up", { host: "hv2" }), 1);
    assertEquals(valueOf(families, "blockboard_libvirt_up", { host: "gone" }), 0);
    assertEquals(family(families, "blockboard_libvirt_up").metrics.length, 3);
    // The probe's call on gone is counted under gone.
    assertEquals(
      valueOf(families, "blockboard_virsh_calls_total", { host: "gone", command: "uri" }),
      1,
    );
  } finally {
    await w.registry.stop();
  }
});

Deno.test("virsh calls and finished jobs are counted per host", async () => {
  const w = world();
  try {
    const local = w.registry.get("local")!.services;
    const hv2 = w.registry.get("hv2")!.services;
    await local.runner.run(["list", "--all"]);
    await hv2.runner.run(["list", "--all"]);
    await hv2.runner.run(["list", "--all"]);
    const ref = runningJob(hv2, UUID2, "db-1");
    hv2.monitor.book.finish(ref, "completed");
    const families = await w.scrape();
    const calls = (host: string) =>
      valueOf(families, "blockboard_virsh_calls_total", { host, command: "list" });
    assertEquals([calls("local"), calls("hv2"), calls("gone")], [1, 2, undefined]);
    // The npm parser folds a histogram's label sets into one: read its count lines as text.
    const counts = w.text().split("\n").filter((l) =>
      l.startsWith("blockboard_virsh_call_duration_seconds_count")
    );
    assertEquals(counts.sort(), [
      'blockboard_virsh_call_duration_seconds_count{host="hv2",command="list"} 2',
      'blockboard_virsh_call_duration_seconds_count{host="local",command="list"} 1',
    ]);
    assertEquals(
      family(families, "blockboard_jobs_finished_total").metrics.map((m) => [m.labels, m.value]),
      [[{ host: "hv2", type: "copy", outcome: "completed" }, "1"]],
    );
    assertEquals(valueOf(families, "blockboard_jobs_active", { host: "hv2" }), 0);
  } finally {
    await w.registry.stop();
  }
});

Deno.test("migrations and storage moves: running ones as gauges, ends counted by outcome", async () => {
  const w = world();
  try {
    const migrations = new StubMigrations();
    w.metrics.watchMigrations(migrations);
    w.metrics.watchMigrations(migrations); // once, however often
    const moves = new StubMoves();
    w.metrics.moves.watch("hv2", moves);

    let families = await w.scrape();
    assertEquals(valueOf(families, "blockboard_migrations_active"), 0);
    assertEquals(valueOf(families, "blockboard_moves_active"), 0);
    assertEquals(family(families, "blockboard_migration_data_remaining_bytes").metrics, []);

    const m = copyingMigration("web-1", "local", "hv2");
    migrations.running = [m];
    migrations.emit("started", m);
    const move = moveIn("db-1", "planned");
    moves.moves.set(move.id, move);
    moves.change(move, "copying");
    families = await w.scrape();
    assertEquals(valueOf(families, "blockboard_migrations_active"), 1);
    const ml = { host: "local", domain: "web-1", to: "hv2" };
    assertEquals(valueOf(families, "blockboard_migration_data_remaining_bytes", ml), 3000);
    assertEquals(valueOf(families, "blockboard_migration_data_processed_bytes", ml), 1000);
    assertEquals(valueOf(families, "blockboard_migration_data_total_bytes", ml), 4000);
    assertEquals(valueOf(families, "blockboard_migration_rate_bytes_per_second", ml), 500);
    assertEquals(valueOf(families, "blockboard_migration_eta_seconds", ml), 6);
    assertEquals(valueOf(families, "blockboard_moves_active"), 1);
    const vl = { host: "hv2", domain: "db-1", move: move.id };
    assertEquals(valueOf(families, "blockboard_move_bytes_done", vl), 250);
    assertEquals(valueOf(families, "blockboard_move_bytes_total", vl), 1000);
    assertEquals(family(families, "blockboard_migrations_finished_total").metrics, []);

    migrations.running = [];
    migrations.emit("completed", { ...m, phase: "completed" });
    migrations.emit("aborted", copyingMigration("web-2", "hv2", "local"));
    moves.change(move, "ready");
    moves.change(move, "failed");
    moves.change(move, "failed"); // an ended move's later change is not a second end
    families = await w.scrape();
    assertEquals(valueOf(families, "blockboard_migrations_active"), 0);
    assertEquals(
      valueOf(families, "blockboard_migrations_finished_total", { outcome: "completed" }),
      1,
    );
    assertEquals(
      valueOf(families, "blockboard_migrations_finished_total", { outcome: "aborted" }),
      1,
    );
    assertEquals(valueOf(families, "blockboard_moves_active"), 0);
    assertEquals(family(families, "blockboard_move_bytes_done").metrics, []);
    assertEquals(
      family(families, "blockboard_moves_finished_total").metrics.map((x) => [
        x.labels?.outcome,
        x.value,
      ]),
      [["failed", "1"]],
    );
  } finally {
    await w.registry.stop();
  }
});
