/**
 * Load script: does blockboard keep answering while thousands of idle and half-open connections
 * pile up? Starts the real server (`main.ts`, with its front door) on a free loopback port with a
 * temporary data directory and one viewer, signs in, then measures `/healthz` and the signed-in
 * dashboard from other loopback addresses (127.0.0.2 and 127.0.0.3) in three rounds:
 *
 * 1. quiet: no flood;
 * 2. one address: 6,000 connections from 127.0.0.1, half of them idle, half sending half a head;
 * 3. many addresses: 6,000 such connections spread over 200 addresses (127.0.1.x), which the
 *    per-client cap does not stop: the total cap, eviction and the header deadline must.
 *
 * The flood re-opens a connection one second after the server closed it, for the whole round
 * (so up to 6,000 connection attempts a second against the per-client cap). The server
 * runs with its descriptor limit lowered to 4096 (`prlimit`), so without caps the flood exhausts
 * it. Bounded: 3 rounds of 15 s, at most 6,000 flood sockets at once; stops by itself.
 *
 * Run: `deno task bench:flood` (libvirt should be up: `deno task lab`).
 */
import net from "node:net";
import { startMain } from "../http/main_process.ts";
import { getFrom } from "../http/front_door_support.ts";
import { alive } from "../http/main_process.ts";
import { outputWithInput } from "../support/piped_input.ts";

const ROUND_MS = 15_000;
const FLOOD = 6_000;
const PROBE_EVERY_MS = 200;
/** A flood socket the server closed is opened again after this long. */
const RETRY_MS = 1000;

const main = await startMain({
  prefix: ["prlimit", "--nofile=4096:4096"],
  env: { DENO_NO_UPDATE_CHECK: "1" },
  setup: async (dataDir) => {
    const out = await outputWithInput(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../../server/cli/user.ts", import.meta.url).pathname,
        "add",
        "bench",
        "--role",
        "viewer",
        "--data-dir",
        dataDir,
      ],
    }, "bench-password-long-enough\n");
    if (out.code !== 0) throw new Error(out.stderr);
  },
});

/** Signs in from 127.0.0.3 and returns the session cookie. */
async function signIn(): Promise<string> {
  return await new Promise((resolve, reject) => {
    const body = "username=bench&password=bench-password-long-enough";
    const socket = net.connect({ host: "127.0.0.1", port: main.port, localAddress: "127.0.0.3" });
    let data = "";
    socket.on("connect", () =>
      socket.write(
        `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${main.port}\r\n` +
          `Origin: http://127.0.0.1:${main.port}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      ));
    socket.on("data", (c: Uint8Array) => data += new TextDecoder().decode(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const cookie = /set-cookie: (bb_session=[^;]+)/i.exec(data)?.[1];
      if (cookie) resolve(cookie);
      else reject(new Error(`login failed: ${data.slice(0, 300)}`));
    });
  });
}

interface Probe {
  ok: number;
  failed: number;
  latencies: number[];
}

async function probeLoop(until: number, path: string, from: string, headers = {}): Promise<Probe> {
  const p: Probe = { ok: 0, failed: 0, latencies: [] };
  while (Date.now() < until) {
    const r = await getFrom(from, main.port, path, headers, 5000);
    if (r.status === 200) {
      p.ok++;
      p.latencies.push(r.ms);
    } else p.failed++;
    await new Promise((res) => setTimeout(res, PROBE_EVERY_MS));
  }
  return p;
}

/** Keeps up to FLOOD sockets open from `addresses` until `until`; counts what the server did. */
async function flood(until: number, addresses: string[]) {
  const stats = { opened: 0, refused503: 0, closedByServer: 0, connectErrors: 0 };
  const open = new Set<net.Socket>();
  /** Sockets we closed ourselves at the end (not counted as closed by the server). */
  const ours = new Set<net.Socket>();
  let next = 0;
  const openOne = () => {
    const localAddress = addresses[next++ % addresses.length];
    const halfHead = next % 2 === 0;
    const socket = net.connect({ host: "127.0.0.1", port: main.port, localAddress });
    open.add(socket);
    let got = "";
    socket.on("connect", () => {
      stats.opened++;
      if (halfHead) socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${main.port}\r\n`);
    });
    socket.on("data", (c: Uint8Array) => got += new TextDecoder().decode(c));
    socket.on("error", () => stats.connectErrors++);
    socket.on("close", () => {
      if (ours.has(socket)) return;
      if (got.startsWith("HTTP/1.1 503")) stats.refused503++;
      else stats.closedByServer++;
      // Like a client retrying once a second: the slot is reused after RETRY_MS.
      setTimeout(() => open.delete(socket), Date.now() < until ? RETRY_MS : 0);
    });
  };
  while (Date.now() < until) {
    while (open.size < FLOOD && Date.now() < until) {
      openOne();
      if (open.size % 200 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, RETRY_MS));
  for (const s of open) {
    ours.add(s);
    s.destroy();
  }
  await new Promise((r) => setTimeout(r, 500));
  return stats;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 10) / 10;
}

async function round(name: string, addresses: string[] | null) {
  const until = Date.now() + ROUND_MS;
  const [health, page, flooded] = await Promise.all([
    probeLoop(until, "/healthz", "127.0.0.2"),
    probeLoop(until, "/", "127.0.0.3", { Cookie: cookie }),
    addresses ? flood(until, addresses) : Promise.resolve(null),
  ]);
  return {
    round: name,
    healthzOk: health.ok,
    healthzFailed: health.failed,
    healthzMedianMs: median(health.latencies),
    pageOk: page.ok,
    pageFailed: page.failed,
    pageMedianMs: median(page.latencies),
    floodOpened: flooded?.opened ?? 0,
    flood503: flooded?.refused503 ?? 0,
    floodClosedByServer: flooded?.closedByServer ?? 0,
    serverAlive: alive(main.pid),
  };
}

let cookie = "";
try {
  cookie = await signIn();
  const rows = [];
  rows.push(await round("quiet", null));
  rows.push(await round("flood, one address", ["127.0.0.1"]));
  rows.push(
    await round("flood, 200 addresses", Array.from({ length: 200 }, (_, i) => `127.0.1.${i + 1}`)),
  );
  console.table(rows);
  const quiet = rows[0].healthzMedianMs ?? 0;
  for (const r of rows.slice(1)) {
    console.log(
      `${r.round}: healthz median ${r.healthzMedianMs} ms (quiet ${quiet} ms), ` +
        `${r.healthzFailed} healthz and ${r.pageFailed} page probes failed, ` +
        `${r.flood503} flood connections refused with 503, server alive: ${r.serverAlive}`,
    );
  }
} catch (e) {
  console.error(`bench failed: ${(e as Error).message}; server alive: ${alive(main.pid)}`);
  console.error(`server output:\n${main.output().slice(-2000)}`);
} finally {
  await main.cleanup();
}
