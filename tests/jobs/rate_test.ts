/** The sliding window: samples kept, rate, ETA and convergence. Pure. */
import { assertEquals } from "@std/assert";
import { progressed, pushSample, type Sample, windowStats } from "../../server/jobs/rate.ts";

Deno.test("pushSample keeps the window and restarts when cur goes back", () => {
  let s: Sample[] = [];
  for (let t = 0; t <= 20_000; t += 1000) s = pushSample(s, { t, cur: t, end: 100_000 }, 5000);
  assertEquals(s[0].t, 15_000);
  assertEquals(s.length, 6);
  s = pushSample(s, { t: 21_000, cur: 0, end: 100 }, 5000);
  assertEquals(s, [{ t: 21_000, cur: 0, end: 100 }]);
});

Deno.test("windowStats: no rate from one sample or a too short span", () => {
  assertEquals(windowStats([{ t: 0, cur: 0, end: 10 }], false, false).rateBytesPerSecond, null);
  assertEquals(
    windowStats([{ t: 0, cur: 0, end: 10 }, { t: 100, cur: 5, end: 10 }], false, true)
      .rateBytesPerSecond,
    null,
  );
});

Deno.test("windowStats: rate, ETA, convergence", () => {
  const s = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 4000, end: 10_000 }];
  assertEquals(windowStats(s, true, true), {
    rateBytesPerSecond: 1000,
    etaSeconds: 6,
    converging: true,
  });
  const stalled = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 0, end: 10_000 }];
  assertEquals(windowStats(stalled, true, true), {
    rateBytesPerSecond: 0,
    etaSeconds: null,
    converging: null,
  });
  const chasing = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 4000, end: 14_000 }];
  assertEquals(windowStats(chasing, true, true).converging, false);
  assertEquals(windowStats(chasing, false, true).converging, null);
});

Deno.test("progressed: only a later sample with more done", () => {
  const at = (t: number, cur: number) => ({ t, cur, end: 64 });
  const cases: [Sample | undefined, Sample, boolean][] = [
    [undefined, at(0, 16), false],
    [at(0, 16), at(1000, 16), false],
    [at(0, 16), at(1000, 17), true],
    [at(1000, 16), at(1000, 17), false],
    [at(0, 17), at(1000, 16), false],
  ];
  for (const [prev, next, want] of cases) {
    assertEquals(progressed(prev, next), want, `${prev?.cur}→${next.cur}`);
  }
});

Deno.test("windowStats: no rate or ETA (null, not 0) before the job has moved", () => {
  const MiB = 1048576;
  // A throttled copy: QEMU copied its first 16 MiB chunk before the first look.
  const first = [{ t: 0, cur: 16 * MiB, end: 64 * MiB }, { t: 1000, cur: 16 * MiB, end: 64 * MiB }];
  assertEquals(windowStats(first, true, false), {
    rateBytesPerSecond: null,
    etaSeconds: null,
    converging: null,
  });
  // A stall after progress was seen is a real 0 B/s.
  assertEquals(windowStats(first, true, true).rateBytesPerSecond, 0);
});
