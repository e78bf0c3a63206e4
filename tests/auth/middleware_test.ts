import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import { authenticate, requireRole } from "../../server/auth/middleware.ts";
import type { AppEnv } from "../../server/env.ts";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import { DEFAULT_IDLE_TIMEOUT_MS } from "../../server/auth/sessions.ts";
import { type AuthFixture, authFixture } from "./fixture.ts";

function testApp(fixture: AuthFixture, open = false) {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  app.use(authenticate({
    sessions: fixture.sessions,
    tokens: fixture.tokens,
    openMode: () => open,
    secureCookie: false,
    openModeCsrfToken: "open-mode-csrf",
    clientAddress: () => "192.0.2.10",
  }));
  const whoami = (c: import("hono").Context<AppEnv>) =>
    c.json({
      user: c.get("user"),
      openMode: c.get("openMode"),
      csrf: c.get("csrfToken"),
      client: c.get("clientAddress"),
    });
  app.get("/public", whoami);
  app.get("/", requireRole("viewer"), whoami);
  app.get("/jobs", requireRole("viewer"), whoami);
  app.get("/api/whoami", requireRole("viewer"), whoami);
  app.post("/api/jobs/pivot", requireRole("operator"), whoami);
  app.post("/api/users", requireRole("admin"), whoami);
  app.post("/jobs/pivot", requireRole("operator"), whoami);
  return app;
}

async function signedIn(role: "viewer" | "operator" | "admin" = "viewer") {
  const fixture = authFixture();
  await fixture.users.create("alice", role, "alice-password");
  const { id, session } = await fixture.sessions.create("alice", "192.0.2.10");
  return { fixture, app: testApp(fixture), cookie: `bb_session=${id}`, id, session };
}

Deno.test("auth: a valid session cookie identifies the user and exposes its CSRF token", async () => {
  const { app, cookie, session } = await signedIn("operator");
  const res = await app.request("/api/whoami", { headers: { cookie } });
  assertEquals(res.status, 200);
  assertEquals(await res.json(), {
    user: { name: "alice", role: "operator", via: "session" },
    openMode: false,
    csrf: session.csrfToken,
    client: "192.0.2.10",
  });
});

Deno.test("auth: anonymous API calls get a JSON 401", async () => {
  const { app } = await signedIn();
  const res = await app.request("/api/whoami");
  assertEquals(res.status, 401);
  assertEquals(res.headers.get("www-authenticate"), "Bearer");
  assertEquals(await res.json(), {
    error: {
      code: "unauthenticated",
      message: "Sign in first (or send 'Authorization: Bearer <token>').",
    },
  });
});

Deno.test("auth: anonymous page visits are sent to /login with a safe next", async () => {
  const { app } = await signedIn();
  const html = { accept: "text/html" };
  const root = await app.request("/", { headers: html });
  assertEquals(root.status, 303);
  assertEquals(root.headers.get("location"), "/login");
  const jobs = await app.request("/jobs?domain=vm1", { headers: html });
  assertEquals(jobs.headers.get("location"), "/login?next=%2Fjobs%3Fdomain%3Dvm1");
  const post = await app.request("/jobs/pivot", { method: "POST", headers: html });
  assertEquals(post.status, 303);
  assertEquals(post.headers.get("location"), "/login");
});

Deno.test("auth: anonymous htmx requests get 401 with HX-Redirect and the sentence", async () => {
  const { app } = await signedIn();
  const res = await app.request("/jobs", {
    headers: { "hx-request": "true", accept: "text/html" },
  });
  assertEquals(res.status, 401);
  assertEquals(res.headers.get("hx-redirect"), "/login");
  assertStringIncludes(await res.text(), "Sign in first");
});

Deno.test("auth: a forged session cookie is anonymous and gets cleared", async () => {
  const { app, id } = await signedIn("admin");
  const forged = id.slice(0, -2) + (id.endsWith("AA") ? "BB" : "AA");
  for (const value of [forged, "A".repeat(43), "not-a-session", `${id}A`]) {
    const res = await app.request("/api/whoami", { headers: { cookie: `bb_session=${value}` } });
    assertEquals(res.status, 401, value);
    assertMatch(res.headers.get("set-cookie") ?? "", /^bb_session=; Max-Age=0/);
  }
});

Deno.test("auth: an expired session is refused", async () => {
  const { app, cookie, fixture } = await signedIn("admin");
  assertEquals((await app.request("/api/whoami", { headers: { cookie } })).status, 200);
  fixture.clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
  const res = await app.request("/api/whoami", { headers: { cookie } });
  assertEquals(res.status, 401);
  assertEquals((await res.json()).error.code, "unauthenticated");
});

Deno.test("auth: a logged-out session cannot be replayed", async () => {
  const { app, cookie, id, fixture } = await signedIn("admin");
  assertEquals((await app.request("/api/whoami", { headers: { cookie } })).status, 200);
  await fixture.sessions.destroy(id);
  assertEquals((await app.request("/api/whoami", { headers: { cookie } })).status, 401);
});

Deno.test("auth: roles are enforced with a 403: JSON for the API, the error page for a browser", async () => {
  const { app, cookie } = await signedIn("viewer");
  const res = await app.request("/api/jobs/pivot", { method: "POST", headers: { cookie } });
  assertEquals(res.status, 403);
  assertEquals(await res.json(), {
    error: {
      code: "forbidden",
      message: "This needs the operator role; alice has the viewer role.",
    },
  });
  const page = await app.request("/jobs/pivot", {
    method: "POST",
    headers: { cookie, accept: "text/html" },
  });
  assertEquals(page.status, 403);
  assertStringIncludes(page.headers.get("content-type") ?? "", "text/html");
  assertStringIncludes(await page.text(), "This needs the operator role");

  const operator = await signedIn("operator");
  const ok = await operator.app.request("/api/jobs/pivot", {
    method: "POST",
    headers: { cookie: operator.cookie },
  });
  assertEquals(ok.status, 200);
  const admin = await operator.app.request("/api/users", {
    method: "POST",
    headers: { cookie: operator.cookie },
  });
  assertEquals(admin.status, 403);
});

Deno.test("auth: bearer tokens work on every route, pages included", async () => {
  const fixture = authFixture();
  const app = testApp(fixture);
  const { token } = await fixture.tokens.create("ci", "operator");
  const authorization = `Bearer ${token}`;
  const api = await app.request("/api/jobs/pivot", { method: "POST", headers: { authorization } });
  assertEquals(api.status, 200);
  assertEquals((await api.json()).user, { name: "token:ci", role: "operator", via: "token" });
  const page = await app.request("/jobs", { headers: { authorization, accept: "text/html" } });
  assertEquals(page.status, 200);
  assertEquals((await page.json()).csrf, null, "token callers get no CSRF token");
  const forbidden = await app.request("/api/users", { method: "POST", headers: { authorization } });
  assertEquals(forbidden.status, 403);
});

Deno.test("auth: a bad Authorization header is a 401 and never falls back to the cookie", async () => {
  const { app, cookie } = await signedIn("admin");
  const wrong = await app.request("/api/whoami", {
    headers: { cookie, authorization: "Bearer bbt_0000000000000000_" + "A".repeat(43) },
  });
  assertEquals(wrong.status, 401);
  assertEquals(wrong.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  assertEquals(await wrong.json(), {
    error: { code: "invalid_token", message: "The API token is not valid." },
  });
  const basic = await app.request("/public", {
    headers: { cookie, authorization: "Basic YTpi", accept: "application/json" },
  });
  assertEquals(basic.status, 401);
  assertEquals((await basic.json()).error.code, "unauthenticated");
});

Deno.test("auth: open mode makes an implicit admin 'local' with a banner flag", async () => {
  const fixture = authFixture();
  const app = testApp(fixture, true);
  const res = await app.request("/api/users", { method: "POST" });
  assertEquals(res.status, 200);
  assertEquals(await res.json(), {
    user: { name: "local", role: "admin", via: "open" },
    openMode: true,
    csrf: "open-mode-csrf",
    client: "192.0.2.10",
  });
  const closed = testApp(fixture, false);
  const anonymous = await closed.request("/public");
  assertEquals((await anonymous.json()).user, null);
  assert((await closed.request("/api/whoami")).status === 401);
});
