/**
 * `GET /` at 500 domains (libvirt's test driver, no VM needed), through the real app served over
 * loopback HTTP with the product's runner (a session pool of 2): `deno task bench:dashboard
 * [DOMAINS] [COLD_ROUNDS] [WARM_ROUNDS]`. Cold: a fresh app each round, its first page (the
 * inventory is read). Warm: the same app again (answered from the snapshot). Prints medians in
 * ms, page bytes and virsh processes started / commands run per request; also the htmx filter
 * request (`?q=vm-4`, the list alone).
 *
 * @module
 */
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { writeTestNode } from "../inventory/test_node.ts";

const DOMAINS = Number(Deno.args[0] ?? 500);
const COLD = Number(Deno.args[1] ?? 5);
const WARM = Number(Deno.args[2] ?? 50);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One app on its own runner, served on a free loopback port. */
function serve(uri: string) {
  const spawn = new SpawnRunner({ uri });
  const runner = new SessionPoolRunner({ spawn, size: 2 });
  let commands = 0;
  runner.onCall(() => commands++);
  const app = createApp(createServices(runner));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ processes: spawn.spawned + runner.started, commands }),
    async close() {
      await server.shutdown();
      await runner.close();
    },
  };
}

/** Times one GET; returns ms, bytes and what virsh did meanwhile. */
async function get(s: ReturnType<typeof serve>, path: string, headers: HeadersInit = {}) {
  const before = s.counts();
  const t = performance.now();
  const res = await fetch(`${s.url}${path}`, { headers });
  const body = new Uint8Array(await res.arrayBuffer());
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  const after = s.counts();
  return {
    ms,
    bytes: body.length,
    processes: after.processes - before.processes,
    commands: after.commands - before.commands,
  };
}

type Sample = Awaited<ReturnType<typeof get>>;
const line = (label: string, xs: Sample[]) =>
  `${label.padEnd(22)} | ${median(xs.map((x) => x.ms)).toFixed(1).padStart(8)} | ${
    String(median(xs.map((x) => x.bytes))).padStart(9)
  } | ${median(xs.map((x) => x.processes)).toString().padStart(9)} | ${
    median(xs.map((x) => x.commands)).toString().padStart(8)
  }`;

if (import.meta.main) {
  await using node = await writeTestNode(DOMAINS);
  const cold: Sample[] = [];
  for (let i = 0; i < COLD; i++) {
    const s = serve(node.uri);
    try {
      cold.push(await get(s, "/"));
    } finally {
      await s.close();
    }
  }
  const s = serve(node.uri);
  const warm: Sample[] = [];
  const filter: Sample[] = [];
  try {
    await get(s, "/");
    for (let i = 0; i < WARM; i++) warm.push(await get(s, "/"));
    const htmx = {
      "HX-Request": "true",
      "HX-Request-Type": "partial",
      "HX-Target": "section#domain-results",
    };
    for (let i = 0; i < WARM; i++) filter.push(await get(s, "/?q=vm-4&state=&job=", htmx));
  } finally {
    await s.close();
  }
  console.log(`${DOMAINS} test-driver domains; ${COLD} cold rounds, ${WARM} warm; medians`);
  console.log("request                |       ms |     bytes | processes | commands");
  console.log(line("GET / cold", cold));
  console.log(line("GET / warm", warm));
  console.log(line("GET /?q=vm-4 (htmx)", filter));
}
