/**
 * The lockout through the real app with the security layer on: an attacker hammering one account
 * from one address is refused; the right user from another address still logs in; the flood of
 * refusals is one audit row with a count.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { testSecurity } from "../support/security.ts";
import { fakeClock } from "./fixture.ts";

const HOST = "127.0.0.1:8080";
const FORM = "application/x-www-form-urlencoded";

Deno.test("login over HTTP: one address hammering alice does not keep alice out from another", async () => {
  const clock = fakeClock();
  const security = testSecurity({
    machineHostname: "hv",
    now: clock.now,
    // The test names the peer; the real server takes it from the connection.
    clientAddress: (c) => c.req.header("x-test-peer") ?? "192.0.2.1",
  });
  await security.users.create("alice", "admin", "alice-password-long");
  const app = createApp({ ...createServices(new FakeRunner()), security });
  const login = (peer: string, password: string) =>
    app.request("/login", {
      method: "POST",
      headers: { host: HOST, origin: `http://${HOST}`, "content-type": FORM, "x-test-peer": peer },
      body: new URLSearchParams({ username: "alice", password }).toString(),
    });

  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    statuses.push((await login("198.51.100.7", `guess-${i}`)).status);
    clock.advance(1000);
  }
  assertEquals(statuses.filter((s) => s === 401).length, 5);
  assertEquals(statuses.filter((s) => s === 429).length, 35);

  const right = await login("192.0.2.10", "alice-password-long");
  assertEquals(right.status, 303);
  assertMatch(right.headers.get("set-cookie") ?? "", /^bb_session=/);

  const refused = security.audit.query({ action: "login", result: "refused" }).entries;
  assertEquals(refused.length, 6, "five wrong passwords, one folded row for the 429s");
  assertEquals(refused[0].count, 35);
  assertEquals(refused[0].message, "429 limited (account-client)");
  assertEquals(security.audit.query({ action: "login", result: "ok" }).total, 1);
});
