/**
 * The product's runner (a session pool over a spawning runner, as `main.ts` builds it) under the
 * real app and a real VM with a hostile name: a throttled copy, its pivot and a pull run through
 * the API, and only the long-lived listeners get processes of their own.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { createLabDomain, LAB_URI, uniqueName, waitFor } from "../lab/lab.ts";
import { chainPaths } from "../jobs/lab_harness.ts";

Deno.test("session pool in the app: copy, pivot and pull on a VM named with quotes and ;", async () => {
  await using dom = await createLabDomain({
    name: `${uniqueName("bbpool-")} it's a "vm"; destroy x`,
    persistent: true,
    disks: [{ target: "vda", layers: 3 }],
  });
  const spawn = new SpawnRunner({ uri: LAB_URI });
  const runner = new SessionPoolRunner({ spawn, size: 2 });
  const pooled: string[] = [];
  runner.onCall((r) => pooled.push(r.argv[2]));
  const services = createServices(runner, { inventoryCacheMs: 0, monitor: { intervalMs: 250 } });
  await services.monitor.start();
  const app = createApp(services);
  const base = `/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vda`;
  const post = (path: string, body: unknown) =>
    app.request(`${base}${path}`, { method: "POST", body: JSON.stringify(body) });
  const phase = (wanted: string[]) =>
    waitFor(`job phase ${wanted.join("|")}`, async () => {
      const { job } = await (await app.request(`${base}/job`)).json();
      return job && wanted.includes(job.phase) ? job : null;
    }, { timeoutMs: 60_000, intervalMs: 200 });
  try {
    const [top, middle, baseLayer] = dom.disks[0].chain;
    const listed = await app.request(`/api/v1/domains/${encodeURIComponent(dom.name)}`);
    assertEquals(listed.status, 200);
    assertEquals((await listed.json()).domain.disks[0].chain.length, 3);

    const dest = `${dom.dir}/vda/pooled-copy.qcow2`;
    const copy = await post("/copy", { dest, shallow: true, bandwidthBytes: 1024 * 1024 });
    assertEquals(copy.status, 202, await copy.clone().text());
    const lift = await post("/job/bandwidth", { bandwidthBytes: 0 });
    assertEquals(lift.status, 200, await lift.clone().text());
    await phase(["ready"]);
    const pivot = await post("/job/pivot", {});
    assertEquals(pivot.status, 200, await pivot.clone().text());
    assertEquals(await chainPaths(dom.uuid, "vda"), [dest, middle, baseLayer]);

    assertEquals((await post("/pull", { base: baseLayer })).status, 202);
    assertEquals((await phase(["completed", "failed", "unknown"])).phase, "completed");
    assertEquals(await chainPaths(dom.uuid, "vda"), [dest, baseLayer]);
    assert(top !== dest);

    // Every short call went through the sessions; only listeners that never end were spawned.
    assert(pooled.includes("blockcopy") && pooled.includes("blockpull"), pooled.join(" "));
    assert(pooled.length > 20, `${pooled.length} calls`);
    assert(spawn.spawned <= 2, `${spawn.spawned} processes spawned`);
    assert(runner.started <= 3, `${runner.started} sessions`);
  } finally {
    await services.monitor.stop();
    await runner.close();
  }
});
