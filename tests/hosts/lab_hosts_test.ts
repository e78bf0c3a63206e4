/**
 * Several real libvirt hosts from one dashboard: the machine's own libvirt plus two namespaced
 * lab hosts (`tests/lab/hosts.ts`), each with its own inventory, monitor and jobs, driven
 * through `/api/v1/hosts/{host}/...`; then one host's libvirtd is killed while the dashboard is
 * in use: the others stay fast and its banner says what failed, until it is back.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import type { HostSpec } from "../../server/hosts/model.ts";
import { startLabHost } from "../lab/hosts.ts";
import { waitFor } from "../lab/wait.ts";
import { LAB_URI } from "../lab/exec.ts";
import { openDatabase } from "../../server/db.ts";

const runnerFor = (spec: HostSpec) =>
  new SessionPoolRunner({
    spawn: new SpawnRunner({ uri: spec.uri, timeoutMs: 10_000 }),
    size: 1,
    timeoutMs: 10_000,
  });

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

interface HostJson {
  name: string;
  uri: string;
  reachable: boolean;
  domains: number | null;
  jobs: number | null;
  lastError: string | null;
  since: string | null;
  nextRetryAt: string | null;
}

Deno.test({
  name: "three hosts: inventory and a pull on a namespaced host; one killed, the others stay fast",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using a = await startLabHost({ name: "bbh7", number: 7 });
    await using b = await startLabHost({ name: "bbh8", number: 8 });
    await using domA = await a.createDomain({ disks: [{ target: "vda", layers: 3 }] });
    await using domB = await b.createDomain({ disks: [{ target: "vda", layers: 2 }] });
    const registry = createHostRegistry({
      hosts: [{ name: "local", uri: LAB_URI }, { name: a.name, uri: a.uri }, {
        name: b.name,
        uri: b.uri,
      }],
      runnerFor,
      serviceOptions: (_spec, isDefault) => ({
        storageRoots: isDefault ? ["/var/lib/libvirt/images"] : [],
        monitor: { intervalMs: 250 },
      }),
      db: openDatabase(":memory:"),
      probeTimeoutMs: 2000,
      backoffMs: { initial: 500, max: 1000 },
    });
    await registry.start();
    try {
      const app = createApp({ ...registry.default.services, hosts: registry });
      const hosts = async () => {
        const r = await app.request("/api/v1/hosts");
        assertEquals(r.status, 200);
        const body = await r.json() as { hosts: HostJson[] };
        return Object.fromEntries(body.hosts.map((h) => [h.name, h]));
      };

      // Inventory: each host lists its own domain, and only its own.
      const all = await hosts();
      assertEquals(Object.keys(all), ["local", "bbh7", "bbh8"]);
      assertEquals(all.bbh7.uri, "qemu+tcp://10.77.7.2/system");
      assertEquals([all.local.reachable, all.bbh7.reachable, all.bbh8.reachable], [
        true,
        true,
        true,
      ]);
      assertEquals([all.bbh7.domains, all.bbh8.domains], [1, 1]);
      const namesOn = async (host: string) => {
        const r = await app.request(`/api/v1/hosts/${host}/domains`);
        assertEquals(r.status, 200);
        return (await r.json()).domains.map((d: { name: string }) => d.name) as string[];
      };
      assertEquals(await namesOn("bbh7"), [domA.name]);
      assertEquals(await namesOn("bbh8"), [domB.name]);
      assert(!(await namesOn("local")).includes(domA.name));
      const one = await (await app.request(`/api/v1/hosts/bbh7/domains/${domA.name}`)).json();
      assertEquals(one.domain.disks[0].chain.length, 3);
      assertEquals((await app.request(`/api/v1/domains/${domA.name}`)).status, 404);

      // A real block job on the namespaced host, through its API: pull the chain into the top.
      const disk = `/api/v1/hosts/bbh7/domains/${domA.name}/disks/vda`;
      const started = await app.request(`${disk}/pull`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      assertEquals(started.status, 202, await started.clone().text());
      const done = await waitFor("the pull on bbh7 to complete", async () => {
        const job = (await (await app.request(`${disk}/job`)).json()).job;
        return job && job.phase === "completed" ? job : null;
      }, { timeoutMs: 60_000, intervalMs: 200 });
      assertEquals(done.host, "bbh7");
      assertEquals(done.type, "pull");
      const blk = await a.virsh("dumpxml", "--domain", domA.uuid);
      assert(!/<backingStore type='file'/.test(blk.stdout), "the chain is flat after the pull");
      // The history row carries its host, and only bbh7's history lists it.
      const historyOf = async (path: string) =>
        await waitFor(`${path} to answer`, async () => (await (await app.request(path)).json()));
      const saved = await waitFor("the pull in bbh7's history", async () => {
        const jobs = (await historyOf("/api/v1/hosts/bbh7/jobs")).jobs;
        return jobs.length ? jobs : null;
      });
      assertEquals(saved[0].host, "bbh7");
      assertEquals(saved[0].domain, domA.name);
      assertEquals((await historyOf("/api/v1/hosts/bbh8/jobs")).jobs, []);
      assert(
        !(await historyOf("/api/v1/jobs")).jobs.some((j: { uuid: string }) => j.uuid === domA.uuid),
      );

      // Kill bbh8's libvirtd while the dashboard is in use.
      await b.killLibvirtd();
      await waitFor("bbh8 to be seen unreachable", async () => {
        const h = (await hosts()).bbh8;
        return h.reachable === false ? h : null;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      const down = (await hosts()).bbh8;
      assertMatch(down.lastError ?? "", /Connection refused|socket is closed|Cannot recv data/);
      assert(down.since !== null && down.nextRetryAt !== null);
      // The others stay fast and complete; the dead one costs nothing.
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = await timed(hosts);
        samples.push(t.ms);
        assertEquals(t.value.bbh7.domains, 1);
        assertEquals(t.value.local.reachable, true);
      }
      samples.sort((x, y) => x - y);
      console.log(`GET /api/v1/hosts with bbh8 down: ${samples.map((s) => s.toFixed(0))} ms`);
      assert(samples[2] < 300, `GET /api/v1/hosts median ${samples[2]} ms with bbh8 down`);
      const page = await timed(async () => await (await app.request("/hosts")).text());
      assert(page.ms < 1000, `the all-hosts page took ${page.ms} ms`);
      assertMatch(page.value, /data-host-banner="bbh8"/);
      assertMatch(page.value, /Host bbh8 \(qemu\+tcp:\/\/10\.77\.8\.2\/system\) is not answering/);
      assertMatch(page.value, /Connection refused|socket is closed|Cannot recv data/);
      assertMatch(page.value, /Unreachable since/);
      assert(!page.value.includes(`data-host-banner="bbh7"`));
      assertMatch(page.value, new RegExp(`data-host="bbh7" data-domain="${domA.name}"`));
      const dead = await timed(async () => await app.request(`/api/v1/hosts/bbh8/domains`));
      assertEquals(dead.value.status, 503);
      assertMatch((await dead.value.json()).error.message, /Host bbh8 .* is unreachable since/);
      assert(dead.ms < 200, `a call to the dead host took ${dead.ms} ms`);

      // Back: the retry finds it and its domains show again.
      await b.restartLibvirtd();
      const back = await waitFor("bbh8 to be reachable again", async () => {
        const h = (await hosts()).bbh8;
        return h.reachable && h.domains === 1 ? h : null;
      }, { timeoutMs: 20_000, intervalMs: 250 });
      assertEquals(back.lastError, null);
    } finally {
      await registry.stop();
    }
  },
});
