/** The sliding window: samples kept, rate, ETA and convergence. Pure. */
import { assert, assertEquals } from "@std/assert";
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

Deno.test("a throttled copy's bursts (16 MiB, then 16 s idle at 1 MiB/s): the rate of whole steps", () => {
  const MiB = 1048576;
  // What the lab showed: cur stays at 16 MiB for 16 s, then jumps by the next 16 MiB chunk.
  let samples: Sample[] = [];
  let moved = false;
  const rates: (number | null)[] = [];
  for (let t = 0; t <= 60_000; t += 1000) {
    const sample = { t, cur: 16 * MiB * (1 + Math.floor(t / 16_000)), end: 80 * MiB };
    moved ||= progressed(samples[samples.length - 1], sample);
    samples = pushSample(samples, sample, 8000);
    rates.push(windowStats(samples, true, moved).rateBytesPerSecond);
  }
  assertEquals(rates.slice(0, 16), Array(16).fill(null), "nothing before the first step");
  assertEquals(rates[16], MiB, "the first step over the 16 s it took");
  assertEquals(rates.slice(17), Array(rates.length - 17).fill(MiB), "held between steps, not 0");
  assert(samples.length <= 33, `${samples.length} samples kept`);
});

Deno.test("a copy that stops after its steps: the held rate gives way to 0 B/s", () => {
  const MiB = 1048576;
  let samples: Sample[] = [];
  for (let t = 0; t <= 80_000; t += 1000) {
    samples = pushSample(
      samples,
      { t, cur: MiB * Math.min(t, 20_000) / 1000, end: 64 * MiB },
      8000,
    );
  }
  assertEquals(windowStats(samples, false, true).rateBytesPerSecond, 0);
  assert(samples.length <= 10, `${samples.length} samples kept`);
});
