import { assert, assertEquals } from "@std/assert";
import { Hono } from "hono";
import {
  attemptLogin,
  INVALID_LOGIN_MESSAGE,
  limitedError,
  type LoginDeps,
  safeNextPath,
} from "../../server/auth/login.ts";
import type { AppEnv } from "../../server/env.ts";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import { authFixture } from "./fixture.ts";

function deps() {
  const fixture = authFixture();
  const slept: number[] = [];
  const loginDeps: LoginDeps = {
    users: fixture.users,
    sessions: fixture.sessions,
    limiter: fixture.limiter,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
  return { fixture, loginDeps, slept };
}

Deno.test("login: right password creates a session; wrong ones are slowed then limited per address", async () => {
  const { fixture, loginDeps, slept } = deps();
  await fixture.users.create("alice", "admin", "alice-password");
  const ok = await attemptLogin(loginDeps, {
    client: "10.0.0.1",
    userName: "alice",
    password: "alice-password",
  });
  assert(ok.ok);
  assertEquals((await fixture.sessions.resolve(ok.sessionId))?.userName, "alice");

  const outcomes = [];
  for (let i = 0; i < 6; i++) {
    outcomes.push(
      await attemptLogin(loginDeps, {
        client: "10.0.0.9",
        userName: "alice",
        password: `guess${i}`,
      }),
    );
  }
  assertEquals(outcomes.slice(0, 5).map((o) => !o.ok && o.reason), Array(5).fill("invalid"));
  assertEquals(
    outcomes.slice(0, 5).map((o) => !o.ok && o.message),
    Array(5).fill(INVALID_LOGIN_MESSAGE),
  );
  const last = outcomes[5];
  assert(!last.ok && last.reason === "limited");
  assertEquals(last.retryAfterSeconds, 15 * 60);
  assertEquals(slept, [250, 500, 1000, 2000], "the first failure is free, then it doubles");

  const stillBlocked = await attemptLogin(loginDeps, {
    client: "10.0.0.9",
    userName: "alice",
    password: "alice-password",
  });
  assert(
    !stillBlocked.ok && stillBlocked.reason === "limited",
    "from there even the right one waits",
  );
  assertEquals(
    stillBlocked.message,
    "Too many failed logins for this user from this address. Try again in 900 seconds.",
  );

  slept.length = 0;
  const elsewhere = await attemptLogin(loginDeps, {
    client: "10.0.0.1",
    userName: "alice",
    password: "alice-password",
  });
  assert(elsewhere.ok, "the right user from another address is not locked out");
  assertEquals(slept, [], "nor slowed");
});

Deno.test("login: unknown users fail exactly like wrong passwords and count too", async () => {
  const { loginDeps } = deps();
  const outcome = await attemptLogin(loginDeps, { client: "c", userName: "ghost", password: "pw" });
  assertEquals(outcome, { ok: false, reason: "invalid", message: INVALID_LOGIN_MESSAGE });
  assertEquals(loginDeps.limiter.check("c", "ghost"), { allowed: true, delayMs: 250 });
});

Deno.test("login: parallel guesses are counted before the password check", async () => {
  const { fixture, loginDeps } = deps();
  await fixture.users.create("bob", "viewer", "bob-password");
  const results = await Promise.all(
    Array.from(
      { length: 20 },
      (_, i) =>
        attemptLogin(loginDeps, { client: "10.0.0.5", userName: "bob", password: `guess${i}` }),
    ),
  );
  const tried = results.filter((r) => !r.ok && r.reason === "invalid").length;
  assertEquals(tried, 5);
});

Deno.test("login: a limited attempt answers 429 with Retry-After", async () => {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  const outcome = { retryAfterSeconds: 42, message: "Too many failed logins." };
  app.post("/api/login", () => {
    throw limitedError(outcome);
  });
  app.post("/login", () => {
    throw limitedError(outcome);
  });
  const api = await app.request("/api/login", { method: "POST" });
  assertEquals(api.status, 429);
  assertEquals(api.headers.get("retry-after"), "42");
  assertEquals(await api.json(), {
    error: { code: "rate_limited", message: "Too many failed logins." },
  });
  const page = await app.request("/login", { method: "POST" });
  assertEquals(page.status, 429);
  assertEquals(page.headers.get("retry-after"), "42");
});

Deno.test("login: next= only allows local paths", () => {
  assertEquals(safeNextPath("/jobs?domain=vm1"), "/jobs?domain=vm1");
  for (
    const bad of [
      undefined,
      "",
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "/ok\\..",
      "javascript:alert(1)",
      "/x\r\nSet-Cookie: a=b",
      "jobs",
    ]
  ) {
    assertEquals(safeNextPath(bad), "/", String(bad));
  }
});
