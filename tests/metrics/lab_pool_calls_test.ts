/**
 * The virsh call counter behind the runner `main.ts` uses (a session pool over a spawning
 * runner, real virsh): commands answered inside a session and calls given a process of their
 * own are both counted once, by subcommand.
 */
import { assertEquals } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { listAllArgs } from "../../server/virsh/commands.ts";
import { Registry } from "../../server/metrics/registry.ts";
import { VirshCallMetrics } from "../../server/metrics/virsh_calls.ts";
import { LAB_URI } from "../lab/lab.ts";
import { parseExposition, valueOf } from "../support/prometheus.ts";

Deno.test("lab: session commands and spawned calls through the pool are counted once each", async () => {
  const spawn = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  const pool = new SessionPoolRunner({ spawn, size: 1, timeoutMs: 30_000 });
  const registry = new Registry();
  const metrics = new VirshCallMetrics(registry);
  const unsubscribe = metrics.watch("local", pool);
  try {
    await pool.run(listAllArgs());
    await pool.run(listAllArgs());
    // A progress callback needs a process of its own.
    await pool.run(listAllArgs(), { onStderr: () => {} });
    assertEquals(spawn.spawned, 1);
    assertEquals(pool.started, 1);
    const families = parseExposition(registry.render());
    assertEquals(valueOf(families, "blockboard_virsh_calls_total", { command: "list" }), 3);
  } finally {
    unsubscribe();
    await pool.close();
  }
});
