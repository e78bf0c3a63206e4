/**
 * Several hosts on one dashboard, for the target "3 hosts × 100 domains: warm page ≤ 300 ms; one
 * unreachable host adds ≤ 50 ms": `deno task bench:hosts [HOSTS] [DOMAINS] [ROUNDS]`. Brings up
 * HOSTS namespaced lab hosts (`bbh3`, `bbh4`, ... from `tests/lab/hosts.ts`) with DOMAINS
 * shut-off persistent domains each (one empty 64 MiB qcow2 each: no memory used), serves the real
 * app (product runners: a session pool of 2 per host) over loopback HTTP, and prints the medians
 * of the all-hosts page `GET /hosts`, `GET /api/v1/hosts` and one host's dashboard, warm, then
 * again with the last host's libvirtd killed. Everything is torn down at the end.
 *
 * @module
 */
import { createApp } from "../../server/app.tsx";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { type LabHost, startLabHost } from "../lab/hosts.ts";
import { waitFor } from "../lab/wait.ts";

const HOSTS = Number(Deno.args[0] ?? 3);
const DOMAINS = Number(Deno.args[1] ?? 100);
const ROUNDS = Number(Deno.args[2] ?? 30);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function fill(host: LabHost, count: number): Promise<void> {
  const started = performance.now();
  const queue = Array.from({ length: count }, (_, i) => i);
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      await host.createDomain({
        name: `bbh-bench-${host.name}-${i}`,
        persistent: true,
        running: false,
        fill: false,
        disks: [{ target: "vda", layers: 1 }],
      });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  console.log(
    `${host.name}: ${count} shut-off domains in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
}

async function measure(url: string, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const hosts: LabHost[] = [];
try {
  for (let i = 0; i < HOSTS; i++) {
    hosts.push(await startLabHost({ name: `bbh${i + 3}`, number: i + 3 }));
  }
  await Promise.all(hosts.map((h) => fill(h, DOMAINS)));
  const registry = createHostRegistry({
    hosts: hosts.map((h) => ({ name: h.name, uri: h.uri })),
    runnerFor: (spec) =>
      new SessionPoolRunner({ spawn: new SpawnRunner({ uri: spec.uri }), size: 2 }),
    serviceOptions: () => ({ storageRoots: [] }),
  });
  await registry.start();
  const app = createApp({ ...registry.default.services, hosts: registry });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  const pages = {
    "GET /hosts": `${base}/hosts`,
    "GET /api/v1/hosts": `${base}/api/v1/hosts`,
    [`GET /hosts/${hosts[0].name}`]: `${base}/hosts/${hosts[0].name}`,
  };
  const firstStarted = performance.now();
  const all = await (await fetch(`${base}/api/v1/hosts`)).json();
  console.log(
    `first GET /api/v1/hosts (inventories read): ${
      (performance.now() - firstStarted).toFixed(0)
    } ms`,
  );
  console.log(
    `hosts: ${
      all.hosts.map((h: { name: string; domains: number }) => `${h.name}=${h.domains}`).join(" ")
    }`,
  );
  const warm: Record<string, number> = {};
  for (const [what, url] of Object.entries(pages)) {
    const cold = await measure(url, 1);
    warm[what] = await measure(url, ROUNDS);
    console.log(`  ${what}: first request ${cold.toFixed(1)} ms`);
  }
  const victim = hosts[hosts.length - 1];
  await victim.killLibvirtd();
  await waitFor(`${victim.name} to be seen down`, async () => {
    const body = await (await fetch(`${base}/api/v1/hosts`)).json();
    return body.hosts.some((h: { name: string; reachable: boolean }) =>
      h.name === victim.name && !h.reachable
    );
  }, { timeoutMs: 20_000, intervalMs: 200 });
  console.log(
    `${HOSTS} hosts × ${DOMAINS} domains, medians of ${ROUNDS} warm requests (ms), ` +
      `then with ${victim.name}'s libvirtd killed:`,
  );
  for (const [what, url] of Object.entries(pages)) {
    const down = await measure(url, ROUNDS);
    console.log(
      `  ${what.padEnd(22)} warm ${warm[what].toFixed(1).padStart(7)}   one host down ${
        down.toFixed(1).padStart(7)
      }   (+${(down - warm[what]).toFixed(1)})`,
    );
  }
  await server.shutdown();
  await registry.stop();
} finally {
  for (const h of hosts) await h.stop();
}
