/**
 * Audit flood benchmark: N unauthenticated POSTs (each refused 401) through the real app with the
 * security layer on and a file database, written the old way (one synchronous row per refusal,
 * `sync`) and the new way (folded and batched, `folded`). Prints rows, database growth, bytes the
 * process wrote (`wchar` of /proc/self/io) and request latency.
 *
 * ```
 * deno task bench:audit [N]        # default 5000 requests per run
 * ```
 *
 * @module
 */
import { createApp } from "../../server/app.tsx";
import { createSecurity, createServices } from "../../server/services.ts";
import { DATABASE_FILE, openDatabase } from "../../server/db.ts";
import { allowedHosts } from "../../server/security/host.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const HOST = "127.0.0.1:8080";

type Mode = "sync" | "folded";
type Paths = "same path" | "random paths";

interface Result {
  mode: Mode;
  paths: Paths;
  rows: number;
  dbBytes: number;
  wrote: number;
  medianMs: number;
  p99Ms: number;
  totalMs: number;
}

/** Bytes this process has passed to write(2) so far. */
function wchar(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/^wchar: (\d+)$/m.exec(io)![1]);
}

function filesBytes(dir: string): number {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += Deno.statSync(`${dir}/${DATABASE_FILE}${suffix}`).size;
    } catch {
      // not there
    }
  }
  return total;
}

async function run(mode: Mode, paths: Paths, n: number): Promise<Result> {
  const dir = await Deno.makeTempDir({ prefix: "bb-bench-audit-" });
  try {
    const db = openDatabase(dir);
    const security = createSecurity({
      db,
      allowedHosts: allowedHosts({
        listenHost: "127.0.0.1",
        port: 8080,
        machineHostname: "hv",
        interfaceAddresses: [],
      }),
      listenHost: "127.0.0.1",
      secureCookie: false,
      passwordIterations: 1000,
      clientAddress: () => "198.51.100.7",
    });
    await security.users.create("admin", "admin", "admin-password-long");
    if (mode === "sync") {
      // The behaviour before folding: every refusal is its own synchronous INSERT.
      security.audit.recordRefusal = (input) => void security.audit.record(input);
    }
    const app = createApp({ ...createServices(new FakeRunner()), security });
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const rowsBefore = (db.prepare("SELECT COUNT(*) AS n FROM audit").get() as { n: number }).n;
    const bytesBefore = filesBytes(dir);
    const wroteBefore = wchar();
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const path = paths === "same path"
        ? "/api/v1/domains/vm1/disks/vda/pull"
        : `/api/v1/domains/vm${i}/disks/vda/pull`;
      const t = performance.now();
      const res = await app.request(path, {
        method: "POST",
        headers: { host: HOST, origin: `http://${HOST}`, "content-type": "application/json" },
        body: "{}",
      });
      await res.body?.cancel();
      latencies.push(performance.now() - t);
      if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
    }
    security.audit.close();
    const totalMs = performance.now() - started;
    const wrote = wchar() - wroteBefore;
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM audit").get() as { n: number }).n -
      rowsBefore;
    const dbBytes = filesBytes(dir) - bytesBefore;
    db.close();
    latencies.sort((a, b) => a - b);
    return {
      mode,
      paths,
      rows,
      dbBytes,
      wrote,
      medianMs: latencies[Math.floor(n / 2)],
      p99Ms: latencies[Math.floor(n * 0.99)],
      totalMs,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 5000);
  console.log(`audit flood: ${n} refused (401) POSTs from one client, file database (WAL)`);
  await run("sync", "same path", 300); // warm-up (JIT), not reported
  console.log("mode    paths         rows  db growth   bytes written  median ms  p99 ms  total s");
  for (const paths of ["same path", "random paths"] as const) {
    for (const mode of ["sync", "folded"] as const) {
      const r = await run(mode, paths, n);
      console.log(
        [
          r.mode.padEnd(7),
          r.paths.padEnd(12),
          String(r.rows).padStart(5),
          `${(r.dbBytes / 1024).toFixed(0)} KiB`.padStart(10),
          `${(r.wrote / 1024).toFixed(0)} KiB`.padStart(14),
          r.medianMs.toFixed(3).padStart(10),
          r.p99Ms.toFixed(3).padStart(7),
          (r.totalMs / 1000).toFixed(2).padStart(8),
        ].join(" "),
      );
    }
  }
}
