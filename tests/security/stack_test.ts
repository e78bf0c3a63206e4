/**
 * The whole guard chain on a tiny app with login and logout routes wired the way the real app
 * should wire them: headers → Host → Origin → auth → CSRF → requireRole.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Hono } from "hono";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import { attemptLogin, limitedError, loginFormSchema } from "../../server/auth/login.ts";
import { requireRole } from "../../server/auth/middleware.ts";
import type { AppEnv } from "../../server/env.ts";
import {
  clearSessionCookie,
  readSessionCookie,
  writeSessionCookie,
} from "../../server/auth/sessions.ts";
import { AuditLog } from "../../server/audit/log.ts";
import { CONTENT_SECURITY_POLICY } from "../../server/security/headers.ts";
import { allowedHosts } from "../../server/security/host.ts";
import { securityMiddleware } from "../../server/security/stack.ts";
import { authFixture } from "../auth/fixture.ts";

const HOST = "127.0.0.1:8080";
const ORIGIN = `http://${HOST}`;

function stack(open = false) {
  const fixture = authFixture();
  const audit = new AuditLog(fixture.db, { now: fixture.clock.now });
  let virshCalls = 0;
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  app.use(...securityMiddleware({
    allowedHosts: allowedHosts({
      listenHost: "127.0.0.1",
      port: 8080,
      machineHostname: "hv",
      interfaceAddresses: [],
    }),
    sessions: fixture.sessions,
    tokens: fixture.tokens,
    openMode: () => open,
    secureCookie: false,
    clientAddress: () => "192.0.2.50",
  }));
  app.post("/login", async (c) => {
    const form = loginFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) return c.text(form.error.issues[0].message, 400);
    const client = c.get("clientAddress");
    const outcome = await attemptLogin(
      {
        users: fixture.users,
        sessions: fixture.sessions,
        limiter: fixture.limiter,
        sleep: () => Promise.resolve(),
      },
      { client, userName: form.data.username, password: form.data.password },
    );
    if (!outcome.ok) {
      audit.record({
        user: form.data.username.slice(0, 64) || "anonymous",
        role: "none",
        client,
        action: "login",
        result: "refused",
        message: outcome.message,
      });
      if (outcome.reason === "limited") throw limitedError(outcome);
      return c.text(outcome.message, 401);
    }
    writeSessionCookie(c, outcome.sessionId, { secure: false });
    audit.record({
      user: outcome.user.name,
      role: outcome.user.role,
      client,
      action: "login",
      result: "ok",
    });
    return c.redirect("/", 303);
  });
  app.post("/logout", async (c) => {
    await fixture.sessions.destroy(readSessionCookie(c));
    clearSessionCookie(c, { secure: false });
    return c.redirect("/login", 303);
  });
  app.get(
    "/",
    requireRole("viewer"),
    (c) => c.json({ user: c.get("user"), csrf: c.get("csrfToken") }),
  );
  app.post("/api/jobs/pivot", requireRole("operator"), (c) => {
    virshCalls++;
    return c.json({ ok: true, by: c.get("user")?.name });
  });
  return { fixture, app, audit, virshCalls: () => virshCalls };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

const FORM = "application/x-www-form-urlencoded";

Deno.test("stack: login, use the CSRF token, logout, and the old cookie is dead", async () => {
  const { fixture, app, virshCalls, audit } = stack();
  await fixture.users.create("alice", "operator", "alice-password");

  const login = await app.request("/login", {
    method: "POST",
    headers: { host: HOST, origin: ORIGIN, "content-type": FORM },
    body: form({ username: "alice", password: "alice-password" }),
  });
  assertEquals(login.status, 303);
  const setCookie = login.headers.get("set-cookie") ?? "";
  assertMatch(setCookie, /^bb_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
  const cookie = setCookie.split(";")[0];

  const home = await app.request("/", { headers: { host: HOST, cookie } });
  assertEquals(home.status, 200);
  const { csrf } = await home.json();
  assertEquals(home.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);

  const pivot = (headers: Record<string, string>) =>
    app.request("/api/jobs/pivot", { method: "POST", headers: { host: HOST, cookie, ...headers } });
  assertEquals((await pivot({ origin: ORIGIN })).status, 403, "no CSRF token");
  assertEquals((await pivot({ origin: ORIGIN, "x-csrf-token": "wrong" })).status, 403);
  assertEquals((await pivot({ origin: "https://evil.example", "x-csrf-token": csrf })).status, 403);
  assertEquals(virshCalls(), 0);
  const ok = await pivot({ origin: ORIGIN, "x-csrf-token": csrf });
  assertEquals(ok.status, 200);
  assertEquals(virshCalls(), 1);

  const logout = await app.request("/logout", {
    method: "POST",
    headers: { host: HOST, origin: ORIGIN, cookie, "content-type": FORM },
    body: form({ _csrf: csrf }),
  });
  assertEquals(logout.status, 303);
  assertMatch(logout.headers.get("set-cookie") ?? "", /^bb_session=; Max-Age=0/);
  const replay = await pivot({ origin: ORIGIN, "x-csrf-token": csrf });
  assertEquals(replay.status, 401);
  assertEquals(virshCalls(), 1);
  assertEquals(audit.query().entries.map((e) => `${e.action}:${e.result}`), ["login:ok"]);
});

Deno.test("stack: login brute force is answered 429 with Retry-After and audited", async () => {
  const { fixture, app, audit } = stack();
  await fixture.users.create("alice", "admin", "alice-password");
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < 7; i++) {
    last = await app.request("/login", {
      method: "POST",
      headers: { host: HOST, origin: ORIGIN, "content-type": FORM },
      body: form({ username: "alice", password: `guess-${i}` }),
    });
    statuses.push(last.status);
  }
  assertEquals(statuses, [401, 401, 401, 401, 401, 429, 429]);
  assertEquals(last!.headers.get("retry-after"), "900");
  assertEquals(audit.query({ action: "login", result: "refused" }).total, 7);
});

Deno.test("stack: a foreign Host is refused first, with security headers", async () => {
  const { app, fixture } = stack();
  await fixture.users.create("alice", "admin", "alice-password");
  const { token } = await fixture.tokens.create("ci", "admin");
  const res = await app.request("/api/jobs/pivot", {
    method: "POST",
    headers: { host: "attacker.example:8080", authorization: `Bearer ${token}` },
  });
  assertEquals(res.status, 421);
  assertEquals(res.headers.get("x-frame-options"), "DENY");
  assertEquals((await res.json()).error.code, "misdirected");
});

Deno.test("stack: bearer scripts need no Origin and no CSRF token", async () => {
  const { app, fixture, virshCalls } = stack();
  const { token } = await fixture.tokens.create("ci", "operator");
  const res = await app.request("/api/jobs/pivot", {
    method: "POST",
    headers: { host: HOST, authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  assertEquals(res.status, 200);
  assertEquals((await res.json()).by, "token:ci");
  assertEquals(virshCalls(), 1);
});

Deno.test("stack: open mode still demands Origin and the CSRF token", async () => {
  const { app, virshCalls } = stack(true);
  const home = await app.request("/", { headers: { host: HOST } });
  const { csrf, user } = await home.json();
  assertEquals(user, { name: "local", role: "admin", via: "open" });
  assert(csrf);
  const crossSite = await app.request("/api/jobs/pivot", {
    method: "POST",
    headers: { host: HOST, "sec-fetch-site": "cross-site", "content-type": "text/plain" },
    body: "x",
  });
  assertEquals(crossSite.status, 403);
  const noToken = await app.request("/api/jobs/pivot", {
    method: "POST",
    headers: { host: HOST, origin: ORIGIN },
  });
  assertEquals(noToken.status, 403);
  assertEquals(virshCalls(), 0);
  const ok = await app.request("/api/jobs/pivot", {
    method: "POST",
    headers: { host: HOST, origin: ORIGIN, "x-csrf-token": csrf },
  });
  assertEquals(ok.status, 200);
});
