/**
 * "Not converging" (remaining bytes growing for 30 s): the pure detector on a fake clock, on
 * sample sequences recorded from real copies (tests/fixtures/virsh/blockjob-busy-copy.json), and
 * through the monitor's sampler on a fake clock.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  type ConvergenceWatch,
  NOT_CONVERGING_AFTER_MS,
  notConvergingVerdict,
  watchConvergence,
} from "../../server/jobs/convergence.ts";
import type { Sample } from "../../server/jobs/rate.ts";
import { parseBlockJobInfo } from "../../server/virsh/parse/blockjob.ts";
import { monitorOnFakeClock, rawInfo, startCopy, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;
const PLAIN = { bandwidthBytes: 256 * 1024, synchronousWrites: false };

/** Folds samples through the detector; the verdict after each one. */
function verdicts(
  samples: readonly Sample[],
  facts = PLAIN,
): { watch: ConvergenceWatch | null; all: (string | null)[] } {
  let watch: ConvergenceWatch | null = null;
  const all: (string | null)[] = [];
  for (const s of samples) {
    watch = watchConvergence(watch, s);
    all.push(notConvergingVerdict(watch, s, facts));
  }
  return { watch, all };
}

/** A sample every second for `seconds`, with cur and end as functions of the second. */
function series(seconds: number, cur: (i: number) => number, end: (i: number) => number) {
  return Array.from({ length: seconds + 1 }, (_, i) => ({ t: i * 1000, cur: cur(i), end: end(i) }));
}

Deno.test("remaining growing for 30 s → not converging at 30 s, not before", () => {
  // cur +256 KiB/s, end +1 MiB/s: the remainder grows by 768 KiB/s.
  const s = series(40, (i) => i * 256 * 1024, (i) => 2 * MiB + i * MiB);
  const { all } = verdicts(s);
  assertEquals(all.slice(0, 30).every((v) => v === null), true);
  assert(all[30] !== null);
  assertMatch(
    all[30]!,
    /^not converging: the remaining bytes grew from 2\.0 MiB to 24\.5 MiB over 30 s/,
  );
  assertStringIncludes(all[30]!, "--synchronous-writes");
  assertStringIncludes(all[30]!, "raise or remove the bandwidth limit (now 0.3 MiB/s)");
  assertEquals(NOT_CONVERGING_AFTER_MS, 30_000);
});

Deno.test("a new low restarts the 30 s: bursty progress that keeps shrinking is converging", () => {
  // The remainder grows for 20 s, then a burst takes it below every earlier level; repeat.
  const remaining = (i: number) => 20 * MiB - Math.floor(i / 20) * 4 * MiB + (i % 20) * 100_000;
  const s = series(100, () => 0, remaining);
  assertEquals(verdicts(s).all.every((v) => v === null), true);
});

Deno.test("flat remainder for a minute is not 'growing'; growth after a dip counts from the dip", () => {
  assertEquals(verdicts(series(60, () => 0, () => 5 * MiB)).all.every((v) => v === null), true);
  // Shrinks for 10 s, then grows: the streak starts at the low (t = 10 s), so the verdict is at 40.
  const s = series(50, () => 0, (i) => i <= 10 ? 20 * MiB - i * MiB : 10 * MiB + (i - 10) * MiB);
  const { all } = verdicts(s);
  assertEquals(all.findIndex((v) => v !== null), 40);
});

Deno.test("the sentence fits the job: already synchronous, or no bandwidth limit", () => {
  const s = series(31, () => 0, (i) => i * MiB);
  const sync = verdicts(s, { bandwidthBytes: MiB, synchronousWrites: true }).all[31]!;
  assertMatch(
    sync,
    /even with synchronous writes; raise or remove the bandwidth limit \(now 1\.0 MiB\/s\)\.$/,
  );
  const unlimited = verdicts(s, { bandwidthBytes: 0, synchronousWrites: false }).all[31]!;
  assertStringIncludes(unlimited, "--synchronous-writes");
  assertStringIncludes(unlimited, "reduce the guest's writes (the bandwidth is not limited)");
});

Deno.test("time going backwards restarts the watch", () => {
  let w = watchConvergence(null, { t: 50_000, cur: 0, end: MiB });
  w = watchConvergence(w, { t: 10_000, cur: 0, end: 2 * MiB });
  assertEquals(w, { since: 10_000, floor: 2 * MiB });
});

/** A recorded run: `blockjob --info --raw --bytes` output with its time since the start. */
interface Recorded {
  argv: string[];
  samples: { t: number; stdout: string }[];
}

const RECORDED = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/virsh/blockjob-busy-copy.json", import.meta.url)),
) as { plain: Recorded; synchronousWrites: Recorded };

function recordedSamples(run: Recorded): Sample[] {
  return run.samples.flatMap(({ t, stdout }) => {
    const info = parseBlockJobInfo(stdout);
    return info ? [{ t, cur: info.cur, end: info.end }] : [];
  });
}

Deno.test("recorded: a plain copy of a disk written at 1 MiB/s under 256 KiB/s is not converging", () => {
  const samples = recordedSamples(RECORDED.plain);
  assert(samples.length >= 35, `${samples.length} samples`);
  const { all } = verdicts(samples);
  const first = all.findIndex((v) => v !== null);
  assert(first > 0, "never flagged");
  assert(samples[first].t >= 30_000 && samples[first].t < 33_000, `flagged at ${samples[first].t}`);
  assertStringIncludes(all.at(-1)!, "not converging");
});

Deno.test("recorded: the same writes with --synchronous-writes converge (never flagged)", () => {
  const samples = recordedSamples(RECORDED.synchronousWrites);
  assert(samples.length >= 10, `${samples.length} samples`);
  assert(RECORDED.synchronousWrites.argv.includes("--synchronous-writes"));
  const { all } = verdicts(samples, { ...PLAIN, synchronousWrites: true });
  assertEquals(all.filter((v) => v !== null), []);
  const first = samples[0];
  const last = samples.at(-1)!;
  assert(last.end - last.cur < first.end - first.cur, "the remainder shrank");
});

Deno.test("through the sampler: the job shows notConverging after 30 s of growth; ready clears it", async () => {
  let cur = 0;
  let end = 2 * MiB;
  const { clock, monitor } = monitorOnFakeClock(() => rawInfo("Block Copy", cur, end, 256 * 1024));
  startCopy(monitor);
  for (let i = 0; i <= 29; i++) {
    await monitor.tick();
    assertEquals(monitor.getJob(VM1.uuid, "vda")!.notConverging, null, `at ${i} s`);
    clock.now += 1000;
    cur += 256 * 1024;
    end += MiB;
  }
  await monitor.tick();
  const job = monitor.getJob(VM1.uuid, "vda")!;
  assertStringIncludes(job.notConverging!, "not converging: the remaining bytes grew");
  // JSON carries it as it is.
  assertEquals(JSON.parse(JSON.stringify(job)).notConverging, job.notConverging);
  monitor.book.markReady({ uuid: VM1.uuid, target: "vda" });
  assertEquals(monitor.getJob(VM1.uuid, "vda")!.notConverging, null);
});
