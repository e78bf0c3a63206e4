/**
 * A host that hangs (its libvirtd stopped with SIGSTOP: the TCP connection is accepted, libvirt
 * never answers) while the dashboard is in use: its own page answers within the 3 s read
 * deadline with its banner instead of waiting for the 30 s virsh deadline, the probe marks it
 * down so its next pages answer at once, the other host's pages stay fast all along, and after
 * SIGCONT it comes back by itself.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { HOST_READ_DEADLINE_MS } from "../../server/hosts/read_deadline.tsx";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import type { HostSpec } from "../../server/hosts/model.ts";
import { type LabHost, startLabHost } from "../lab/hosts.ts";
import { waitFor } from "../lab/wait.ts";
import { openDatabase } from "../../server/db.ts";

/** As main.ts builds them, with the default 30 s virsh deadline. */
const runnerFor = (spec: HostSpec) =>
  new SessionPoolRunner({
    spawn: new SpawnRunner({ uri: spec.uri, timeoutMs: 30_000 }),
    size: 1,
    timeoutMs: 30_000,
  });

async function timed<T>(work: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

/** Sends `signal` to the host's libvirtd (by its pid, found in the host's namespace). */
async function signalLibvirtd(host: LabHost, signal: "SIGSTOP" | "SIGCONT"): Promise<void> {
  let sent = 0;
  for (const pid of await host.pids()) {
    const comm = await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "");
    if (comm.trim() !== "libvirtd") continue;
    Deno.kill(pid, signal);
    sent++;
  }
  assertEquals(sent, 1, `one libvirtd in ${host.name}`);
}

Deno.test({
  name: "a hanging host: its page answers within the read deadline with its banner; back by itself",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using a = await startLabHost({ name: "bbr3", number: 43 });
    await using b = await startLabHost({ name: "bbr4", number: 44 });
    await using domA = await a.createDomain({ disks: [{ target: "vda", layers: 2 }] });
    await using domB = await b.createDomain({ disks: [{ target: "vda", layers: 2 }] });
    const registry = createHostRegistry({
      hosts: [{ name: "ha", uri: a.uri }, { name: "hb", uri: b.uri }],
      runnerFor,
      serviceOptions: () => ({ storageRoots: [] }),
      db: openDatabase(":memory:"),
      probeTimeoutMs: 2000,
      backoffMs: { initial: 500, max: 1000 },
    });
    await registry.start();
    let stopped = false;
    try {
      const app = createApp({ ...registry.default.services, hosts: registry });
      const pageA = `/hosts/ha/domains/${domA.name}`;
      const pageB = `/hosts/hb/domains/${domB.name}`;
      assertEquals((await app.request(pageA)).status, 200);
      assertEquals((await app.request(pageB)).status, 200);

      await signalLibvirtd(b, "SIGSTOP");
      stopped = true;
      // An event marks hb's snapshot out of date: the next page of hb needs libvirt.
      registry.get("hb")!.services.inventory.invalidate();
      const hung = timed(async () => {
        const r = await app.request(pageB);
        return { status: r.status, html: await r.text() };
      });
      // Meanwhile the other host's pages stay fast.
      await new Promise((r) => setTimeout(r, 500));
      const other = await timed(() => app.request(pageA));
      assertEquals(other.value.status, 200);
      assert(other.ms < 1000, `ha's page took ${other.ms} ms while hb hangs`);
      const late = await hung;
      console.log(`hb's page with libvirtd stopped: ${late.ms.toFixed(0)} ms`);
      assertEquals(late.value.status, 503);
      assert(late.ms >= HOST_READ_DEADLINE_MS - 50, `answered before the deadline: ${late.ms}`);
      assert(late.ms < HOST_READ_DEADLINE_MS + 1000, `hb's page took ${late.ms} ms`);
      assertMatch(late.value.html, /data-host-banner="hb"/);
      assertMatch(
        late.value.html,
        /Host hb \(qemu\+tcp:\/\/10\.77\.44\.2\/system\) is not answering/,
      );
      assertMatch(late.value.html, /did not answer within 3000 ms/);

      // The probe marks it down: its pages and API now answer at once, with what failed.
      await waitFor("the probe to mark hb down", () => {
        return Promise.resolve(registry.get("hb")!.reachable === false);
      }, { timeoutMs: 6_000, intervalMs: 100 });
      const down = await timed(async () => await (await app.request(pageB)).text());
      assert(down.ms < 300, `hb's page took ${down.ms} ms once known down`);
      assertMatch(down.value, /data-host-banner="hb"/);
      assertMatch(down.value, /Unreachable since .* Next retry at/);
      const api = await timed(() => app.request(`/api/v1/hosts/hb/domains`));
      assertEquals(api.value.status, 503);
      assertMatch((await api.value.json()).error.message, /Host hb .* is unreachable since/);
      assert(api.ms < 300, `hb's API took ${api.ms} ms once known down`);
      const list = await timed(() => app.request("/api/v1/hosts"));
      const hosts = (await list.value.json()).hosts;
      assertEquals(hosts.map((h: { reachable: boolean }) => h.reachable), [true, false]);
      assert(list.ms < 500, `GET /api/v1/hosts took ${list.ms} ms`);
      const otherAgain = await timed(() => app.request(pageA));
      assertEquals(otherAgain.value.status, 200);
      assert(otherAgain.ms < 1000, `ha's page took ${otherAgain.ms} ms`);

      // SIGCONT: the retry finds it back, nobody restarts anything.
      await signalLibvirtd(b, "SIGCONT");
      stopped = false;
      const back = await waitFor("hb's page to answer again", async () => {
        const r = await app.request(pageB);
        return r.status === 200 ? await r.text() : null;
      }, { timeoutMs: 30_000, intervalMs: 300 });
      assert(back.includes(domB.name));
      assert(!back.includes(`data-host-banner="hb"`));
    } finally {
      if (stopped) await signalLibvirtd(b, "SIGCONT");
      await registry.stop();
    }
  },
});
