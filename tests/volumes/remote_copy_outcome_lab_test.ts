/**
 * A throttled copy into a new pool volume on a namespaced lab host, aborted before ready: the
 * volume is deleted, and the job's last sentence (on the API and on the disk's card) says so
 * instead of calling a file that is gone "incomplete and not usable".
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { startLabHost } from "../lab/hosts.ts";
import { uniqueName } from "../lab/lab.ts";
import { waitFor } from "../lab/wait.ts";
import { startDirPool } from "./lab_pool.ts";

Deno.test({
  name: "remote host: an aborted copy into a new volume ends saying the volume was deleted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using host = await startLabHost({ name: "bbp1", number: 71 });
    const pool = "bbpo-copies";
    await startDirPool(host, pool, `/var/lib/libvirt/images/${pool}`);
    await using dom = await host.createDomain({
      name: uniqueName("bbpo-"),
      persistent: true,
      disks: [{ target: "vda", layers: 1 }],
    });
    const runner = new SpawnRunner({ uri: host.uri });
    const services = createServices(runner, { inventoryCacheMs: 0, monitor: { intervalMs: 250 } });
    await services.monitor.start();
    const app = createApp(services);
    const disk = `/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vda`;
    const volumes = async () => {
      await host.virsh("pool-refresh", "--pool", pool);
      return (await host.virsh("vol-list", "--pool", pool)).stdout;
    };
    try {
      const r = await app.request(`${disk}/copy`, {
        method: "POST",
        body: JSON.stringify({ pool, volume: "full.raw", format: "raw", bandwidthBytes: 1048576 }),
      });
      assertEquals(r.status, 202, await r.clone().text());
      assert((await volumes()).includes("full.raw"));
      const aborted = await app.request(`${disk}/job/abort`, { method: "POST", body: "{}" });
      assertEquals(aborted.status, 200);
      assertEquals((await aborted.json()).job.phase, "canceled");
      const job = await waitFor("the outcome to name the deleted volume", async () => {
        const { job } = await (await app.request(`${disk}/job`)).json();
        return job?.outcome?.includes("deleted") ? job : null;
      }, { timeoutMs: 10_000, intervalMs: 250 });
      assertEquals(
        job.outcome,
        `canceled before the copy was synchronized: blockboard deleted the volume ${pool}/full.raw it had created for the copy; the domain stays on ${
          dom.disks[0].chain[0]
        }`,
      );
      assert(!(await volumes()).includes("full.raw"), "the volume is gone");
      const page = await (await app.request(`/domains/${encodeURIComponent(dom.name)}`)).text();
      assertMatch(page, /blockboard deleted the volume bbpo-copies\/full\.raw/);
      assert(!page.includes("is incomplete and not usable"));
    } finally {
      await services.monitor.stop();
      await runner.close();
    }
  },
});
