/** The migration pre-flight's pure decisions, the progress arithmetic and the stream address. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  checkCapabilities,
  type MigratingDisk,
  planTargetStorage,
  PreflightRefusal,
} from "../../server/migrations/preflight.ts";
import type { HostPool } from "../../server/migrations/storage_pools.ts";
import {
  EMPTY_RATE_WINDOW,
  etaOf,
  type Migration,
  nextRateWindow,
  withSample,
} from "../../server/migrations/model.ts";
import { type DomJobInfo, parseDomJobInfoRaw } from "../../server/virsh/parse/domjobinfo.ts";
import { fixture } from "../jobs/fixtures.ts";
import {
  migrateUriFor,
  parseMigrationAddresses,
  uriHost,
} from "../../server/migrations/address.ts";
import { parseDomainCapabilities } from "../../server/virsh/parse/domcaps.ts";
import { openDatabase } from "../../server/db.ts";
import { MigrationHistory } from "../../server/migrations/history.ts";

const DIR = "/var/lib/libvirt/images/vm";
const B = { name: "b", uri: "qemu+tcp://10.77.2.2/system" };
const disk: MigratingDisk = {
  target: "vda",
  type: "file",
  chain: [
    { path: `${DIR}/top.qcow2`, format: "qcow2" },
    { path: `${DIR}/base.qcow2`, format: "qcow2" },
  ],
  capacity: 64 * 1048576,
  topAllocation: 8 * 1048576,
};
const pool = (over: Partial<HostPool> = {}): HostPool => ({
  name: "vm",
  type: "dir",
  path: DIR,
  isDirectory: true,
  state: "running",
  available: 10 * 1024 ** 3,
  volumes: [],
  ...over,
});

Deno.test("all: libvirt pre-creates the top in the pool over its directory", () => {
  assertEquals(planTargetStorage([disk], [pool()], "all", B), {
    precreatedByLibvirt: [{ pool: "vm", name: "top.qcow2", path: `${DIR}/top.qcow2` }],
    createByUs: [],
  });
});

Deno.test("no pool over the directory: the refusal gives the exact commands for that host", () => {
  const sentence = (pools: HostPool[]) => {
    try {
      planTargetStorage([disk], pools, "all", B);
    } catch (e) {
      if (e instanceof PreflightRefusal) return e.message;
      throw e;
    }
    throw new Error("not refused");
  };
  const c = "virsh -c qemu+tcp://10.77.2.2/system";
  assertEquals(
    sentence([]),
    `host b has no running storage pool over ${DIR}, so disk vda (${DIR}/top.qcow2) cannot be ` +
      `created there. Give it one, then try again: ${c} pool-define-as --name vm --type dir ` +
      `--target ${DIR} ; ${c} pool-build --pool vm ; ${c} pool-start --pool vm`,
  );
  // A pool named like the directory elsewhere: another name; one defined over it: start it.
  assertStringIncludes(
    sentence([pool({ path: "/srv/other" }), pool({ name: "vm-2", path: "/srv/x" })]),
    `: ${c} pool-define-as --name vm-3 --type dir --target ${DIR} ; `,
  );
  assert(
    sentence([pool({ name: "my pool", state: "inactive", volumes: [] })])
      .endsWith(`try again: ${c} pool-start --pool 'my pool'`),
  );
});

Deno.test("refusals name the host, the path and what to do", () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "no pool",
      () => planTargetStorage([disk], [], "all", B),
      /host b has no running storage pool over \/var\/lib\/libvirt\/images\/vm.*pool-define-as/,
    ],
    [
      "pool not running",
      () => planTargetStorage([disk], [pool({ state: "inactive" })], "all", B),
      /no running storage pool/,
    ],
    [
      "file in the way",
      () => planTargetStorage([disk], [pool({ volumes: [`${DIR}/top.qcow2`] })], "all", B),
      /already exists on host b/,
    ],
    [
      "no room",
      () => planTargetStorage([disk], [pool({ available: 1048576 })], "all", B),
      /has 1 MiB free and the disks need up to 64 MiB/,
    ],
    [
      "inc without chain on target",
      () => planTargetStorage([disk], [pool()], "inc", B),
      /base\.qcow2 is not in any of its storage pools/,
    ],
    [
      "block disk",
      () => planTargetStorage([{ ...disk, type: "block" }], [pool()], "all", B),
      /file-backed disks only/,
    ],
  ];
  for (const [what, run, message] of cases) {
    const e = assertThrows(run, PreflightRefusal);
    assertEquals(message.test(e.message), true, `${what}: ${e.message}`);
  }
});

Deno.test("inc: blockboard creates the top over the backing chain already on the target", () => {
  const plan = planTargetStorage([disk], [pool({ volumes: [`${DIR}/base.qcow2`] })], "inc", B);
  assertEquals(plan.createByUs, [{
    pool: "vm",
    name: "top.qcow2",
    path: `${DIR}/top.qcow2`,
    capacityBytes: 64 * 1048576,
    format: "qcow2",
    backing: { volume: `${DIR}/base.qcow2`, format: "qcow2" },
  }]);
  // Only the top's data has to fit.
  planTargetStorage(
    [disk],
    [pool({ volumes: [`${DIR}/base.qcow2`], available: 9 * 1048576 })],
    "inc",
    B,
  );
});

Deno.test("capabilities: vCPUs, CPU modes and custom models of a TCG host (captured)", async () => {
  const caps = parseDomainCapabilities(
    await Deno.readTextFile(
      new URL("../fixtures/virsh/domcapabilities-qemu-x86_64-pc.xml", import.meta.url),
    ),
  );
  const tcg = {
    virtType: "qemu",
    arch: "x86_64",
    machine: "pc",
    vcpus: 1,
    cpuMode: "custom",
    cpuModel: "qemu64",
  };
  checkCapabilities(tcg, caps, "b");
  checkCapabilities({ ...tcg, cpuMode: null, cpuModel: null }, caps, "b");
  assertThrows(
    () => checkCapabilities({ ...tcg, vcpus: 300 }, caps, "b"),
    PreflightRefusal,
    "at most 255 vCPUs",
  );
  assertThrows(
    () => checkCapabilities({ ...tcg, cpuModel: "phenom" }, caps, "b"),
    PreflightRefusal,
    "phenom",
  );
  assertThrows(
    () => checkCapabilities({ ...tcg, cpuMode: "host-passthrough", cpuModel: null }, caps, "b"),
    PreflightRefusal,
    "host-passthrough is not supported on host b",
  );
});

Deno.test("progress: ETA from what remains at the rate", () => {
  assertEquals(etaOf(10, 4), 3);
  assertEquals(etaOf(10, 0), null);
  assertEquals(etaOf(10, null), null);
});

Deno.test("stream address: the target URI's host part, or the per-host setting", () => {
  const table: [string, string | undefined, string | null][] = [
    ["qemu+tcp://10.77.1.2/system", undefined, "tcp://10.77.1.2"],
    ["qemu+ssh://root@hv2.example:22/system", undefined, "tcp://hv2.example"],
    ["qemu+tls://[fd00::2]/system", undefined, "tcp://[fd00::2]"],
    ["qemu:///system", undefined, null],
    ["qemu:///system", "10.0.0.9", "tcp://10.0.0.9"],
    ["qemu+tcp://10.77.1.2/system", "10.0.0.9:49152", "tcp://10.0.0.9:49152"],
  ];
  for (const [uri, address, want] of table) assertEquals(migrateUriFor(uri, address), want, uri);
  assertEquals(uriHost("qemu:///system"), null);
  assertEquals(parseMigrationAddresses(["b=10.77.2.2"]).get("b"), "10.77.2.2");
  assertThrows(() => parseMigrationAddresses(["b"]), Error, "NAME=ADDRESS");
  assertThrows(() => parseMigrationAddresses(["b=1.2.3.4;x"]), Error, "NAME=ADDRESS");
});

Deno.test("history: a finished migration is found from its source, and from its target once it landed", () => {
  const db = openDatabase(":memory:");
  const history = new MigrationHistory(db);
  const base = {
    id: "m1",
    domain: "vm",
    uuid: "cda48577-a48b-41b2-96eb-67169a43ae13",
    from: "a",
    to: "b",
    storage: "all" as const,
    phase: "aborted" as const,
    stage: null,
    dataTotal: 1,
    dataProcessed: 0,
    dataRemaining: 1,
    rateBytesPerSecond: null,
    etaSeconds: null,
    dirtyRatePagesPerSecond: null,
    bandwidthBytes: 0,
    startedAt: "2026-11-29T10:00:00.000Z",
    finishedAt: "2026-11-29T10:00:05.000Z",
    message: "aborted",
    startedBy: null,
    command: "virsh migrate",
  };
  history.save(base);
  assertEquals(history.latest("a", "vm")?.id, "m1");
  assertEquals(history.latest("b", "vm"), null, "an aborted migration never landed on b");
  history.save({ ...base, id: "m2", phase: "completed", finishedAt: "2026-11-29T10:01:00.000Z" });
  assertEquals(history.latest("b", base.uuid)?.id, "m2");
  assertEquals(history.latest("a", "vm")?.id, "m2");
  assertEquals(history.list().map((m) => m.id), ["m2", "m1"]);
  // The table is created once; a second instance on the same database reads the same rows.
  assertEquals(new MigrationHistory(db).list().length, 2);
  db.close();
});

Deno.test("progress: a throttled mirror counted in 16 MiB steps reads as its 1 MiB/s limit, not 4 MiB/s", () => {
  const MiB = 1048576;
  const disk = parseDomJobInfoRaw(fixture("domjobinfo-raw-disk.txt"))!;
  const memory = parseDomJobInfoRaw(fixture("domjobinfo-raw-memory.txt"))!;
  const starting = parseDomJobInfoRaw(fixture("domjobinfo-raw-starting.txt"))!;
  const at = (info: DomJobInfo, processed: number) => ({ ...info, dataProcessed: processed });
  const m0 = withSample(
    { phase: "preparing" } as Migration,
    starting,
    nextRateWindow(EMPTY_RATE_WINDOW, starting, 115),
  );
  assertEquals([m0.stage, m0.rateBytesPerSecond, m0.etaSeconds], ["starting", null, null]);
  let w = EMPTY_RATE_WINDOW;
  const rates: [number, number | null][] = [];
  // QEMU's mirror under a 1 MiB/s limit: 16 MiB at once, then nothing for 16 s.
  for (let t = 1; t <= 40; t++) {
    w = nextRateWindow(w, at(disk, 16 * MiB * (Math.floor(t / 16) + 1)), t * 1000);
    rates.push([t, withSample({} as Migration, disk, w).rateBytesPerSecond]);
  }
  assertEquals(rates.find(([t]) => t === 10)![1], null, "before the second step: not measured");
  for (const [t, rate] of rates) {
    if (rate !== null) assert(rate <= 1.1 * MiB, `${(rate / MiB).toFixed(2)} MiB/s at ${t} s`);
  }
  const at33 = rates.find(([t]) => t === 33)![1]!;
  assert(Math.abs(at33 - MiB) < 0.1 * MiB, `${at33 / MiB} MiB/s at 33 s`);
  // The memory pre-copy starts over: its speed is its own.
  w = nextRateWindow(w, at(memory, 70 * MiB), 41_000);
  assertEquals(withSample({} as Migration, memory, w).rateBytesPerSecond, null);
  w = nextRateWindow(w, at(memory, 80 * MiB), 42_000);
  assertEquals(withSample({} as Migration, memory, w).rateBytesPerSecond, 10 * MiB);
});
