/**
 * A host's reachability as a state machine, on a hand-driven clock: every state the API can
 * report is consistent (unreachable always says since when and when it retries).
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { HostHealth } from "../../server/hosts/health.ts";
import { type HostOverview, hostSummary } from "../../server/hosts/overview.ts";
import { unreachableSentence } from "../../server/hosts/guarded_runner.ts";
import type { HostStatus } from "../../server/hosts/model.ts";

function consistent(s: HostStatus): void {
  if (s.reachable) {
    assertEquals([s.lastError, s.since, s.nextRetryAt], [null, null, null]);
  } else {
    assert(s.lastError && s.since && s.nextRetryAt, `inconsistent: ${JSON.stringify(s)}`);
  }
}

Deno.test("health: up → down → retries back off → up → a later failure is down again since then", async () => {
  let now = Date.parse("2026-11-29T11:00:00Z");
  let answers = false;
  let recovered = 0;
  const health = new HostHealth({
    probe: () => answers ? Promise.resolve() : Promise.reject(new Error("Connection refused")),
    onRecovered: () => recovered++,
    backoffMs: { initial: 1000, max: 4000 },
    now: () => now,
  });
  try {
    consistent(health.status());
    assertEquals(health.reachable, true);

    health.markFailure("Connection refused");
    const down = health.status();
    consistent(down);
    assertEquals(down.since, "2026-11-29T11:00:00.000Z");
    assertEquals(down.nextRetryAt, "2026-11-29T11:00:01.000Z");
    assert(health.failingFast());

    now += 1000; // the retry is due: calls go through again; the probe still fails
    assert(!health.failingFast());
    await health.suspect();
    consistent(health.status());
    assertEquals(
      health.status().since,
      "2026-11-29T11:00:00.000Z",
      "since stays the first failure",
    );
    assertEquals(health.status().nextRetryAt, "2026-11-29T11:00:03.000Z", "backoff doubled");

    answers = true;
    now += 2000;
    await health.suspect();
    consistent(health.status());
    assertEquals([health.reachable, recovered], [true, 1]);

    now += 60_000; // a minute later a call finds libvirt gone again
    health.markFailure("End of file while reading data");
    const again = health.status();
    consistent(again);
    assertEquals(again.since, "2026-11-29T11:01:03.000Z");
    assertEquals(again.nextRetryAt, "2026-11-29T11:01:04.000Z", "backoff starts over");
    assertEquals(again.lastError, "End of file while reading data");
  } finally {
    health.stop();
  }
});

const overview = (status: HostStatus, domains: number | null, problem: string | null) =>
  ({
    name: "hv2",
    uri: "qemu+tcp://10.0.0.2/system",
    isDefault: false,
    domains: domains === null ? null : Array.from({ length: domains }, () => ({})),
    jobs: [],
    status,
    problem,
  }) as unknown as HostOverview;

Deno.test("hostSummary: reachable is the health's; a failed read of an answering host says why without 'down'", () => {
  const up: HostStatus = { reachable: true, lastError: null, since: null, nextRetryAt: null };
  const down: HostStatus = {
    reachable: false,
    lastError: "Connection refused",
    since: "2026-11-29T11:00:00.000Z",
    nextRetryAt: "2026-11-29T11:00:01.000Z",
  };
  const cases: [HostOverview, Partial<ReturnType<typeof hostSummary>>][] = [
    [overview(up, 3, null), { reachable: true, domains: 3, jobs: 0, lastError: null }],
    [
      overview(up, null, "error: failed to get domain list: session ended"),
      {
        reachable: true,
        domains: null,
        jobs: null,
        lastError: "error: failed to get domain list: session ended",
        since: null,
      },
    ],
    [
      overview(down, null, "Connection refused"),
      {
        reachable: false,
        domains: null,
        lastError: "Connection refused",
        since: down.since,
        nextRetryAt: down.nextRetryAt,
      },
    ],
  ];
  for (const [input, want] of cases) {
    const got = hostSummary(input);
    for (const [k, v] of Object.entries(want)) assertEquals(got[k as keyof typeof got], v, k);
    if (!got.reachable) assert(got.since && got.nextRetryAt);
  }
});

Deno.test("unreachableSentence: times as the pages write them", () => {
  assertEquals(
    unreachableSentence("hv2", "qemu+tcp://10.0.0.2/system", {
      lastError: "Connection refused",
      since: "2026-11-29T11:08:24.630Z",
      nextRetryAt: "2026-11-29T11:08:32.630Z",
    }),
    "Host hv2 (qemu+tcp://10.0.0.2/system) is unreachable since 2026-11-29 11:08:24 UTC: " +
      "Connection refused; next retry at 2026-11-29 11:08:32 UTC",
  );
  assertMatch(
    unreachableSentence("hv2", "u://", { lastError: null, since: null, nextRetryAt: null }),
    /is unreachable: no answer$/,
  );
});
