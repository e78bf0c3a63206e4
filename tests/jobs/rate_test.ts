/** The sliding window: samples kept, rate, ETA and convergence. Pure. */
import { assertEquals } from "@std/assert";
import { pushSample, type Sample, windowStats } from "../../server/jobs/rate.ts";

Deno.test("pushSample keeps the window and restarts when cur goes back", () => {
  let s: Sample[] = [];
  for (let t = 0; t <= 20_000; t += 1000) s = pushSample(s, { t, cur: t, end: 100_000 }, 5000);
  assertEquals(s[0].t, 15_000);
  assertEquals(s.length, 6);
  s = pushSample(s, { t: 21_000, cur: 0, end: 100 }, 5000);
  assertEquals(s, [{ t: 21_000, cur: 0, end: 100 }]);
});

Deno.test("windowStats: no rate from one sample or a too short span", () => {
  assertEquals(windowStats([{ t: 0, cur: 0, end: 10 }], false).rateBytesPerSecond, null);
  assertEquals(
    windowStats([{ t: 0, cur: 0, end: 10 }, { t: 100, cur: 5, end: 10 }], false)
      .rateBytesPerSecond,
    null,
  );
});

Deno.test("windowStats: rate, ETA, convergence", () => {
  const s = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 4000, end: 10_000 }];
  assertEquals(windowStats(s, true), { rateBytesPerSecond: 1000, etaSeconds: 6, converging: true });
  const stalled = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 0, end: 10_000 }];
  assertEquals(windowStats(stalled, true), {
    rateBytesPerSecond: 0,
    etaSeconds: null,
    converging: null,
  });
  const chasing = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 4000, end: 14_000 }];
  assertEquals(windowStats(chasing, true).converging, false);
  assertEquals(windowStats(chasing, false).converging, null);
});
