/**
 * `deno task bench:scale [N]`: blockboard on a host with N persistent shut-off domains (2 qcow2
 * disks each, defined through one virsh session and removed afterwards) plus one running,
 * throttled copy. Prints cold and warm `GET /` time, virsh commands and processes per warm page,
 * job API p50/p99 at fixed rates (latency counted from the scheduled send time), virsh calls per
 * second idle and under load, and the process's RSS. Everything runs on 127.0.0.1 and stops by
 * itself; the domains carry the lab's owner record, so `deno task lab` removes them if a run dies.
 *
 * @module
 */
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { labDomainXml } from "../lab/domain_xml.ts";
import { currentOwner } from "../lab/owner.ts";
import { createLabDomain, LAB_ROOT, LAB_URI, qemuImg, waitFor } from "../lab/lab.ts";
import { removeLabDir } from "../lab/teardown.ts";
import { parseEventLine } from "../../server/virsh/parse/event.ts";

const N = Number(Deno.args[0] ?? 500);
const RATES = [50, 200];
const LOAD_SECONDS = 20;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Defines N shut-off domains through one virsh session; returns their UUIDs and directory. */
async function defineMany(runner: SessionPoolRunner, n: number) {
  const dir = `${LAB_ROOT}/bench-${crypto.randomUUID()}`;
  await Deno.mkdir(dir, { recursive: true });
  const template = `${dir}/template.qcow2`;
  const made = await qemuImg("create", "-q", "-f", "qcow2", template, "64M");
  if (made.code !== 0) throw new Error(made.stderr);
  const uuids: string[] = [];
  const owner = currentOwner("test", dir);
  for (let i = 0; i < n; i++) {
    const uuid = crypto.randomUUID();
    const disks = ["vda", "vdb"].map((target) => {
      const source = `${dir}/${i}-${target}.qcow2`;
      Deno.copyFileSync(template, source);
      return { target, format: "qcow2" as const, source };
    });
    const xmlFile = `${dir}/${i}.xml`;
    Deno.writeTextFileSync(xmlFile, labDomainXml({ name: `bbscale-${i}`, uuid, disks, owner }));
    await runner.run(["define", "--file", xmlFile]);
    uuids.push(uuid);
  }
  return { dir, uuids };
}

async function undefineAll(runner: SessionPoolRunner, uuids: string[], dir: string) {
  for (const uuid of uuids) {
    await runner.run(["undefine", "--domain", uuid]).catch(() => {});
  }
  await removeLabDir(dir);
}

/** Open-loop load: one request every 1000/rate ms for `seconds`, latency from its scheduled time. */
async function load(url: string, rate: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const start = performance.now();
  const total = rate * seconds;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      fetch(url).then(async (res) => {
        await res.arrayBuffer();
        latencies.push(performance.now() - scheduled);
      }),
    );
  }
  await Promise.all(pending);
  return latencies;
}

if (import.meta.main) {
  const spawn = new SpawnRunner({ uri: LAB_URI });
  const runner = new SessionPoolRunner({ spawn, size: 2 });
  let calls = 0;
  const bySubcommand = new Map<string, number>();
  runner.onCall((r) => {
    calls++;
    bySubcommand.set(r.argv[2], (bySubcommand.get(r.argv[2]) ?? 0) + 1);
  });
  console.log(`defining ${N} shut-off domains with 2 disks each through one virsh session ...`);
  const t0 = performance.now();
  const many = await defineMany(runner, N);
  console.log(`  defined in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await using copying = await createLabDomain({ disks: [{ target: "vda", layers: 2 }] });
  const services = createServices(runner, { storageRoots: [LAB_ROOT] });
  await services.monitor.start();
  const app = createApp(services);
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    app.fetch,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const timePage = async () => {
      const before = { calls, spawned: spawn.spawned, sessions: runner.started };
      const t = performance.now();
      const res = await fetch(`${base}/`);
      const bytes = (await res.arrayBuffer()).byteLength;
      return {
        ms: performance.now() - t,
        bytes,
        status: res.status,
        commands: calls - before.calls,
        processes: spawn.spawned - before.spawned + runner.started - before.sessions,
      };
    };
    const cold = await timePage();
    const copy = await fetch(
      `${base}/api/v1/domains/${encodeURIComponent(copying.name)}/disks/vda/copy`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dest: `${copying.dir}/scale-copy.qcow2`, bandwidthBytes: 65536 }),
      },
    );
    if (copy.status !== 202) throw new Error(`copy: ${copy.status} ${await copy.text()}`);

    const warm = [];
    for (let i = 0; i < 20; i++) warm.push(await timePage());
    console.log(`GET / with ${N + 1} domains (status ${cold.status}, ${cold.bytes} bytes):`);
    console.log(
      `  cold ${
        cold.ms.toFixed(0)
      } ms (${cold.commands} virsh commands, ${cold.processes} processes)`,
    );
    console.log(
      `  warm median ${quantile(warm.map((w) => w.ms), 0.5).toFixed(1)} ms, virsh commands per ` +
        `warm page ${Math.max(...warm.map((w) => w.commands))} (max), processes ` +
        `${Math.max(...warm.map((w) => w.processes))} (max)`,
    );

    const idleStart = calls;
    bySubcommand.clear();
    await new Promise((r) => setTimeout(r, LOAD_SECONDS * 1000));
    const idleRate = (calls - idleStart) / LOAD_SECONDS;
    console.log(
      `virsh calls per second, idle for ${LOAD_SECONDS} s (sampler + resync): ${
        idleRate.toFixed(2)
      } (${[...bySubcommand].map(([k, v]) => `${k} ${v}`).join(", ")})`,
    );
    const jobUrl = `${base}/api/v1/domains/${encodeURIComponent(copying.name)}/disks/vda/job`;
    for (const rate of RATES) {
      const before = calls;
      bySubcommand.clear();
      const latencies = await load(jobUrl, rate, LOAD_SECONDS);
      const loaded = (calls - before) / LOAD_SECONDS;
      console.log(
        `job API at ${rate} req/s for ${LOAD_SECONDS} s: p50 ${
          quantile(latencies, 0.5).toFixed(1)
        } ms, ` +
          `p99 ${quantile(latencies, 0.99).toFixed(1)} ms; virsh calls/s ${loaded.toFixed(2)} ` +
          `(idle ${idleRate.toFixed(2)}; ${
            [...bySubcommand].map(([k, v]) => `${k} ${v}`).join(", ")
          })`,
      );
    }
    console.log(`RSS of this process: ${(Deno.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);

    // Ready: libvirt's event (its own timestamp) → the job API and the card fragment say so.
    let readyEventAt: number | null = null;
    const unsubscribe = services.monitor.onEventLine((line) => {
      const event = parseEventLine(line);
      if (
        event?.kind === "block-job" && event.status === "ready" && event.domain === copying.name
      ) {
        readyEventAt = event.timestamp?.getTime() ?? Date.now();
      }
    });
    const lift = await fetch(`${jobUrl}/bandwidth`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bandwidthBytes: 0 }),
    });
    await lift.arrayBuffer();
    const fragmentUrl = `${base}/ui/domains/${copying.uuid}/disks/vda/job/status?seen=ready`;
    const seen = await waitFor("ready on the API and the card", async () => {
      const { job } = await (await fetch(jobUrl)).json();
      const card = await (await fetch(fragmentUrl)).text();
      return job?.phase === "ready" && card.includes('data-phase="ready"') ? Date.now() : null;
    }, { timeoutMs: 60_000, intervalMs: 2 });
    unsubscribe();
    console.log(
      readyEventAt === null
        ? "ready: seen on the API and the card, but the event line was not"
        : `ready: event → API and card fragment show it in ${seen - readyEventAt} ms ` +
          "(libvirt's event timestamp to the first poll that saw it, 2 ms polls)",
    );
    await fetch(`${jobUrl}/abort`, { method: "POST", body: "{}" }).then((r) => r.arrayBuffer());
    await waitFor("the copy to end", async () => {
      const { job } = await (await fetch(jobUrl)).json();
      return !job || job.finishedAt ? true : null;
    }, { timeoutMs: 30_000 });
  } finally {
    ac.abort();
    await server.finished;
    await services.monitor.stop();
    console.log(`removing ${N} domains ...`);
    await undefineAll(runner, many.uuids, many.dir);
    await runner.close();
  }
}
