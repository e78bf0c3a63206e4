import { assert, assertEquals } from "@std/assert";
import { ipv6Prefix64, LoginRateLimiter } from "../../server/auth/ratelimit.ts";
import { fakeClock } from "./fixture.ts";

const MINUTE = 60_000;

Deno.test("ratelimit: 5 failures per user within 15 min, then blocked with Retry-After", () => {
  const clock = fakeClock();
  const limiter = new LoginRateLimiter({ now: clock.now });
  for (let i = 0; i < 5; i++) {
    assert(limiter.check(`10.0.0.${i}`, "alice").allowed, `attempt ${i + 1}`);
    limiter.recordFailure(`10.0.0.${i}`, "alice");
    clock.advance(MINUTE);
  }
  const gate = limiter.check("10.0.0.99", "ALICE");
  assertEquals(gate, { allowed: false, retryAfterSeconds: 10 * 60, scope: "user" });
  clock.advance(10 * MINUTE - 1000);
  assertEquals(limiter.check("10.0.0.99", "alice").allowed, false);
  clock.advance(1000);
  assert(limiter.check("10.0.0.99", "alice").allowed, "the oldest failure left the window");
});

Deno.test("ratelimit: 5 failures per client address across user names", () => {
  const clock = fakeClock();
  const limiter = new LoginRateLimiter({ now: clock.now });
  for (let i = 0; i < 5; i++) limiter.recordFailure("192.0.2.7", `user${i}`);
  const gate = limiter.check("192.0.2.7", "someone-else");
  assertEquals(gate, { allowed: false, retryAfterSeconds: 15 * 60, scope: "client" });
  assert(limiter.check("192.0.2.8", "someone-else").allowed);
});

Deno.test("ratelimit: IPv6 clients are counted per /64", () => {
  const limiter = new LoginRateLimiter({ now: fakeClock().now });
  for (let i = 1; i <= 5; i++) limiter.recordFailure(`2001:db8:1:2::${i}`, `u${i}`);
  assertEquals(limiter.check("2001:db8:1:2:ffff::9", "fresh").allowed, false);
  assert(limiter.check("2001:db8:1:3::1", "fresh").allowed);
  assertEquals(ipv6Prefix64("2001:DB8:0:0:1::1"), "2001:db8:0:0::/64");
  assertEquals(ipv6Prefix64("::1"), "0:0:0:0::/64");
  assertEquals(ipv6Prefix64("10.0.0.1"), null);
  assertEquals(ipv6Prefix64("::ffff:10.0.0.1"), null);
});

Deno.test("ratelimit: the delay doubles with each failure and is capped", () => {
  const limiter = new LoginRateLimiter({
    now: fakeClock().now,
    maxFailuresPerUser: 100,
    maxFailuresPerClient: 100,
  });
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const gate = limiter.check("10.0.0.1", "bob");
    assert(gate.allowed);
    delays.push(gate.delayMs);
    limiter.recordFailure("10.0.0.1", "bob");
  }
  assertEquals(delays, [0, 250, 500, 1000, 2000, 4000, 4000]);
});

Deno.test("ratelimit: success clears the user's counter but not the client's", () => {
  const limiter = new LoginRateLimiter({ now: fakeClock().now });
  for (let i = 0; i < 4; i++) limiter.recordFailure("10.0.0.1", "carol");
  limiter.recordSuccess("10.0.0.1", "carol");
  const gate = limiter.check("10.0.0.2", "carol");
  assertEquals(gate, { allowed: true, delayMs: 0 });
  limiter.recordFailure("10.0.0.1", "mallory");
  assertEquals(limiter.check("10.0.0.1", "x").allowed, false);
});

Deno.test("ratelimit: withdrawFailure takes back the provisional failure", () => {
  const limiter = new LoginRateLimiter({ now: fakeClock().now });
  limiter.recordFailure("10.0.0.1", "dan");
  limiter.withdrawFailure("10.0.0.1", "dan");
  assertEquals(limiter.check("10.0.0.1", "dan"), { allowed: true, delayMs: 0 });
});

Deno.test("ratelimit: memory is bounded", () => {
  const limiter = new LoginRateLimiter({ now: fakeClock().now, maxKeys: 10 });
  for (let i = 0; i < 100; i++) limiter.recordFailure("10.0.0.1", `user${i}`);
  // The client key was refreshed last on every failure, so it survives eviction.
  assertEquals(limiter.check("10.0.0.1", "user0").allowed, false);
});
