import { assert, assertEquals } from "@std/assert";
import {
  ipv6Prefix64,
  LoginRateLimiter,
  type LoginRateLimitOptions,
} from "../../server/auth/ratelimit.ts";
import { type Database, IN_MEMORY, openDatabase } from "../../server/db.ts";
import { fakeClock } from "./fixture.ts";

const MINUTE = 60_000;

function limiter(options: LoginRateLimitOptions = {}, db: Database = openDatabase(IN_MEMORY)) {
  const clock = fakeClock();
  return { db, clock, limiter: new LoginRateLimiter(db, { now: clock.now, ...options }) };
}

Deno.test("ratelimit: 5 failures per (account, client) within 15 min, then 429 for that pair only", () => {
  const { clock, limiter: l } = limiter();
  for (let i = 0; i < 5; i++) {
    assert(l.check("10.0.0.66", "alice").allowed, `attempt ${i + 1}`);
    l.recordFailure("10.0.0.66", "alice");
    clock.advance(MINUTE);
  }
  assertEquals(l.check("10.0.0.66", "ALICE"), {
    allowed: false,
    retryAfterSeconds: 10 * 60,
    scope: "account-client",
  });
  // The right user elsewhere is neither blocked nor slowed by the attacker.
  assertEquals(l.check("10.0.0.1", "alice"), { allowed: true, delayMs: 0 });
  clock.advance(10 * MINUTE - 1000);
  assertEquals(l.check("10.0.0.66", "alice").allowed, false);
  clock.advance(1000);
  assert(l.check("10.0.0.66", "alice").allowed, "the oldest failure left the window");
});

Deno.test("ratelimit: an attacker hammering from one address does not lock the account for everyone", () => {
  const { clock, limiter: l } = limiter();
  for (let i = 0; i < 500; i++) {
    if (l.check("198.51.100.7", "alice").allowed) l.recordFailure("198.51.100.7", "alice");
    clock.advance(1000);
  }
  assertEquals(l.check("198.51.100.7", "alice").allowed, false);
  assertEquals(l.check("192.0.2.10", "alice"), { allowed: true, delayMs: 0 });
});

Deno.test("ratelimit: 20 failures per client across accounts", () => {
  const { limiter: l } = limiter();
  for (let i = 0; i < 20; i++) l.recordFailure("192.0.2.7", `user${i}`);
  assertEquals(l.check("192.0.2.7", "someone-else"), {
    allowed: false,
    retryAfterSeconds: 15 * 60,
    scope: "client",
  });
  assert(l.check("192.0.2.8", "someone-else").allowed);
});

Deno.test("ratelimit: the per-account backstop locks an account only under a distributed attack", () => {
  const { limiter: l } = limiter();
  // 25 addresses × 4 guesses: no pair and no client reaches its limit, the account does.
  for (let a = 0; a < 25; a++) {
    for (let i = 0; i < 4; i++) l.recordFailure(`203.0.113.${a}`, "alice");
  }
  assertEquals(l.check("192.0.2.10", "alice"), {
    allowed: false,
    retryAfterSeconds: 15 * 60,
    scope: "account",
  });
  assertEquals(l.check("192.0.2.10", "bob"), { allowed: true, delayMs: 0 });
});

Deno.test("ratelimit: a restart (a new limiter over the same database) keeps the counts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-ratelimit-" });
  try {
    const clock = fakeClock();
    const first = openDatabase(dir);
    const before = new LoginRateLimiter(first, { now: clock.now });
    for (let i = 0; i < 5; i++) before.recordFailure("10.0.0.66", "alice");
    first.close();
    const second = openDatabase(dir);
    const after = new LoginRateLimiter(second, { now: clock.now });
    assertEquals(after.check("10.0.0.66", "alice").allowed, false);
    assert(after.check("10.0.0.1", "alice").allowed);
    second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ratelimit: IPv6 clients are counted per /64", () => {
  const { limiter: l } = limiter();
  for (let i = 1; i <= 5; i++) l.recordFailure(`2001:db8:1:2::${i}`, "alice");
  assertEquals(l.check("2001:db8:1:2:ffff::9", "alice").allowed, false);
  assert(l.check("2001:db8:1:3::1", "alice").allowed);
  assertEquals(ipv6Prefix64("2001:DB8:0:0:1::1"), "2001:db8:0:0::/64");
  assertEquals(ipv6Prefix64("::1"), "0:0:0:0::/64");
  assertEquals(ipv6Prefix64("10.0.0.1"), null);
  assertEquals(ipv6Prefix64("::ffff:10.0.0.1"), null);
});

Deno.test("ratelimit: the delay doubles with each failure of the client and is capped", () => {
  const { limiter: l } = limiter({
    maxFailuresPerAccountClient: 100,
    maxFailuresPerClient: 100,
  });
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const gate = l.check("10.0.0.1", "bob");
    assert(gate.allowed);
    delays.push(gate.delayMs);
    l.recordFailure("10.0.0.1", "bob");
  }
  assertEquals(delays, [0, 250, 500, 1000, 2000, 4000, 4000]);
  assertEquals(l.check("10.0.0.2", "bob"), { allowed: true, delayMs: 0 }, "others are not slowed");
});

Deno.test("ratelimit: success clears the pair's failures but not the client's or the account's", () => {
  const { limiter: l } = limiter({ maxFailuresPerClient: 5, maxFailuresPerAccount: 8 });
  for (let i = 0; i < 4; i++) l.recordFailure("10.0.0.1", "carol");
  for (let i = 0; i < 4; i++) l.recordFailure("10.0.0.2", "carol");
  l.recordSuccess("10.0.0.1", "carol");
  assertEquals(l.check("10.0.0.1", "carol"), { allowed: true, delayMs: 0 });
  l.recordFailure("10.0.0.2", "mallory");
  assertEquals(l.check("10.0.0.2", "x").allowed, false, "client total kept");
  for (let i = 0; i < 4; i++) l.recordFailure("10.0.0.3", "carol");
  assertEquals(l.check("10.0.0.9", "carol").allowed, false, "account total kept");
});

Deno.test("ratelimit: withdrawFailure takes back exactly the provisional failure", () => {
  const { limiter: l } = limiter();
  l.recordFailure("10.0.0.1", "dan");
  const id = l.recordFailure("10.0.0.1", "dan");
  l.withdrawFailure(id);
  assertEquals(l.check("10.0.0.1", "dan"), { allowed: true, delayMs: 250 });
});

Deno.test("ratelimit: the table is bounded: old failures and rows beyond the cap are removed", () => {
  const { db, clock, limiter: l } = limiter({ maxRows: 10 });
  const rows = () =>
    (db.prepare("SELECT COUNT(*) AS n FROM login_failures").get() as { n: number }).n;
  for (let i = 0; i < 100; i++) l.recordFailure(`10.0.${i}.1`, `user${i}`);
  assertEquals(rows(), 10);
  clock.advance(16 * MINUTE);
  l.recordFailure("10.0.0.1", "x");
  assertEquals(rows(), 1);
});
