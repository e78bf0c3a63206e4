/**
 * A move's numbers: what a layer counts (the same in the Review and the card), the rate and ETA
 * from bytes over time (none until progress shows, a mirror's first-look chunk no rate), and the
 * progress throttle on an injected clock.
 */
import { assertEquals } from "../std_assert.ts";
import {
  layerBytesToCopy,
  MoveRate,
  moveTotals,
  ProgressThrottle,
} from "../../server/moves/progress.ts";
import type { Move, MoveDisk } from "../../server/moves/model.ts";

const MiB = 1024 * 1024;

Deno.test("layerBytesToCopy: allocated data, but a live raw top counts what its mirror scans", () => {
  const layer = (format: "qcow2" | "raw") => ({ format, bytes: 16 * MiB, virtualSize: 64 * MiB });
  // [format, action, counted]
  const table: ["qcow2" | "raw", "copy" | "create-and-mirror", number][] = [
    ["qcow2", "copy", 16 * MiB],
    ["raw", "copy", 16 * MiB], // qemu-img convert skips the holes (offline top, raw base)
    ["qcow2", "create-and-mirror", 16 * MiB],
    ["raw", "create-and-mirror", 64 * MiB], // the mirror reads a raw file's holes as data
  ];
  for (const [format, action, counted] of table) {
    assertEquals(layerBytesToCopy(layer(format), action), counted, `${format} ${action}`);
  }
});

/** A move of a qcow2 chain (two layers to copy) on vda and a raw vdb, at `state`. */
function moveAt(
  state: Move["state"],
  copied: [number, number],
  mirrors: (MoveDisk["job"])[],
): Pick<Move, "disks" | "state"> {
  const layer = (bytes: number, doneBytes: number) => ({
    from: "/a",
    to: "/b",
    format: "qcow2" as const,
    bytes,
    doneBytes,
    state: doneBytes === 0
      ? "pending" as const
      : doneBytes < bytes
      ? "copying" as const
      : "copied" as const,
  });
  const top = (job: MoveDisk["job"], planned: number) =>
    job ? { ...layer(job.end, job.cur), state: "mirroring" as const } : layer(planned, 0);
  return {
    state,
    disks: [
      {
        target: "vda",
        job: mirrors[0],
        layers: [top(mirrors[0], 2 * MiB), layer(8 * MiB, copied[0]), layer(4 * MiB, copied[1])],
      },
      { target: "vdb", job: mirrors[1], layers: [top(mirrors[1], 64 * MiB)] },
    ],
  };
}

const mirror = (cur: number, end: number, phase: "mirroring" | "ready" = "mirroring") => ({
  phase,
  cur,
  end,
  bandwidthBytes: 4 * MiB,
});

/** vdb's mirror at `curMiB` of 64 MiB. */
const vdb = (curMiB: number, phase: "mirroring" | "ready" = "mirroring") => [
  null,
  mirror(curMiB * MiB, 64 * MiB, phase),
];

Deno.test("MoveRate: bytes over time, null until progress shows, ETA = remaining / rate", () => {
  const rate = new MoveRate(10_000);
  assertEquals(moveTotals(moveAt("copying", [0, 0], [null, null])).bytesTotal, 78 * MiB);
  // A count past its layer's bytes is clamped.
  assertEquals(moveTotals(moveAt("copying", [9 * MiB, MiB], [null, null])).bytesDone, 9 * MiB);
  // [ms, move, rate, eta]
  const table: [number, Pick<Move, "disks" | "state">, number | null, number | null][] = [
    [0, moveAt("copying", [0, 0], [null, null]), null, null], // unknown, never 0
    // The copy's first tick, then a look without growth: its window starts there.
    [100, moveAt("copying", [MiB, 0], [null, null]), null, null],
    [300, moveAt("copying", [MiB, 0], [null, null]), null, null],
    [1300, moveAt("copying", [5 * MiB, 0], [null, null]), 4 * MiB, Math.ceil(73 / 4)],
    [1550, moveAt("copying", [6 * MiB, 0], [null, null]), 4 * MiB, Math.ceil(72 / 4)],
    // Between copies (the layer copied, the next not started): nothing runs, nothing known.
    [2200, moveAt("copying", [8 * MiB, 0], [null, null]), null, null],
    // vdb's mirror: 3 MiB at its first look, 16 MiB a moment later (QEMU's first buffer), then
    // 16 MiB every 4 s at the 4 MiB/s limit.
    [3000, moveAt("mirroring", [8 * MiB, 4 * MiB], vdb(3)), null, null],
    [3250, moveAt("mirroring", [8 * MiB, 4 * MiB], vdb(16)), null, null],
    [3500, moveAt("mirroring", [8 * MiB, 4 * MiB], vdb(16)), null, null],
    [7500, moveAt("mirroring", [8 * MiB, 4 * MiB], vdb(32)), 4 * MiB, Math.ceil(34 / 4)],
    // The rate of the whole step holds over the wait that follows it.
    [9000, moveAt("mirroring", [8 * MiB, 4 * MiB], vdb(32)), 4 * MiB, Math.ceil(34 / 4)],
    // Every mirror in sync: no copy rate, no ETA.
    [9500, moveAt("ready", [8 * MiB, 4 * MiB], vdb(64, "ready")), null, null],
  ];
  for (const [i, [at, move, bytesPerSecond, eta]] of table.entries()) {
    const pace = rate.sample(at, move);
    assertEquals([pace.rateBytesPerSecond, pace.etaSeconds], [bytesPerSecond, eta], `row ${i}`);
  }
});

Deno.test("MoveRate: a copy growing at every look counts after its first second", () => {
  const rate = new MoveRate(10_000);
  // [ms, MiB copied by vdb's mirror, rate]
  const table: [number, number, number | null][] = [
    [0, 1, null],
    [250, 2, null],
    [500, 3, null],
    [750, 4, null],
    [1000, 5, null], // the first run ends: the window starts here
    [1250, 6, null], // a span under 500 ms: no rate yet
    [1500, 7, 4 * MiB],
  ];
  for (const [at, mib, want] of table) {
    const pace = rate.sample(at, moveAt("mirroring", [8 * MiB, 4 * MiB], vdb(mib)));
    assertEquals(pace.rateBytesPerSecond, want, `${at} ms`);
  }
});

Deno.test("ProgressThrottle: a tick per 250 ms at most; a change always passes and restarts the window", () => {
  let now = 1_000;
  const throttle = new ProgressThrottle(250, () => now);
  // [advance ms, is a tick, passes]
  const table: [number, boolean, boolean][] = [
    [0, true, true], // the first tick passes
    [100, true, false],
    [149, true, false], // 249 ms after the last pass
    [1, true, true], // 250 ms: a new window
    [10, false, true], // a change passes inside the window
    [100, true, false], // and the window restarts from it
    [140, true, false],
    [10, true, true],
    [0, false, true], // changes at the same instant still pass
    [0, false, true],
    [0, true, false],
    [5_000, true, true],
  ];
  table.forEach(([advance, tick, passes], i) => {
    now += advance;
    assertEquals(throttle.pass(tick), passes, `row ${i}`);
  });
});

Deno.test("ProgressThrottle: a burst of ticks on a frozen clock passes once; each move has its own", () => {
  const now = 0;
  const a = new ProgressThrottle(250, () => now);
  const b = new ProgressThrottle(250, () => now);
  const passed = Array.from({ length: 100 }, () => a.pass(true)).filter(Boolean).length;
  assertEquals(passed, 1);
  assertEquals(b.pass(true), true, "another move's window is its own");
});
