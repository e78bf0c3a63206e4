/** The progress throttle on an injected clock: ticks at most once per window, changes always. */
import { assertEquals } from "../std_assert.ts";
import { ProgressThrottle } from "../../server/moves/progress.ts";

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
