/**
 * Load script: how many virsh calls per second does a running job cost with 1 browser polling
 * its fragment versus 50? Starts a throttled copy on a lab VM, drives the real app on loopback
 * with N concurrent pollers (each waits for its answer, then polls again after 1 s — htmx load
 * polling), and counts virsh processes per second. Bounded: 15 s per round.
 *
 * Run: `deno task bench:poll` (after `deno task lab`).
 */
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI } from "../lab/lab.ts";
import { serveOnLoopback } from "../support/browser.ts";

const ROUND_MS = 15_000;

await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 2, sizeMiB: 256 }] });
const runner = new SpawnRunner({ uri: LAB_URI });
const services = createServices(runner, { inventoryCacheMs: 0 });
await services.monitor.start();
await using server = serveOnLoopback(createApp(services).fetch);
await services.operations.startCopy({ uuid: dom.uuid, target: "vda" }, {
  dest: `${dom.dir}/vda/bench-copy.qcow2`,
  format: "qcow2",
  bandwidthBytes: 1024 * 1024, // slow enough to stay in the running phase for every round
});
const url = `${server.url}/ui/domains/${dom.uuid}/disks/vda/job/status?seen=running`;

async function round(pollers: number) {
  const before = runner.spawned;
  const latencies: number[] = [];
  const deadline = Date.now() + ROUND_MS;
  await Promise.all(Array.from({ length: pollers }, async () => {
    while (Date.now() < deadline) {
      const t = performance.now();
      const res = await fetch(url);
      await res.text();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }));
  const calls = runner.spawned - before;
  latencies.sort((a, b) => a - b);
  return {
    pollers,
    requests: latencies.length,
    virshCallsPerSecond: calls / (ROUND_MS / 1000),
    medianLatencyMs: latencies[Math.floor(latencies.length / 2)],
  };
}

const one = await round(1);
const fifty = await round(50);
console.table([one, fifty]);
console.log(
  `virsh calls/s with 50 pollers ÷ with 1 poller = ${
    (fifty.virshCallsPerSecond / one.virshCallsPerSecond).toFixed(2)
  } (requests served: ${one.requests} vs ${fifty.requests})`,
);
await services.operations.abort({ uuid: dom.uuid, target: "vda" });
await services.monitor.stop();
