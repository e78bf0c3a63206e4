import { assertEquals, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import { csrfProtection } from "../../server/security/csrf.ts";
import type { AppEnv } from "../../server/env.ts";
import { errorHandler } from "../../server/routes/error_pages.tsx";

type Via = "session" | "token" | "open";

function app(via: Via | null, token: string | null = "the-session-csrf-token") {
  let reached = 0;
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  app.use(async (c, next) => {
    c.set("user", via ? { name: "u", role: "operator", via } : null);
    c.set("csrfToken", token);
    await next();
  });
  app.use(csrfProtection());
  app.all("*", async (c) => {
    reached++;
    // The handler can still read the form after the middleware parsed it.
    const type = c.req.header("content-type") ?? "";
    const body = type.includes("form") ? await c.req.parseBody() : null;
    return c.json({ body });
  });
  return { app, reached: () => reached };
}

const TOKEN = "the-session-csrf-token";

Deno.test("csrf: the right token in X-CSRF-Token passes", async () => {
  const { app: a, reached } = app("session");
  const res = await a.request("/api/jobs/pivot", {
    method: "POST",
    headers: { "x-csrf-token": TOKEN, "content-type": "application/json" },
    body: "{}",
  });
  assertEquals(res.status, 200);
  assertEquals(reached(), 1);
});

Deno.test("csrf: the right token in the _csrf form field passes and the body stays readable", async () => {
  const { app: a } = app("session");
  const urlencoded = await a.request("/jobs/pivot", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `domain=vm1&_csrf=${TOKEN}`,
  });
  assertEquals(urlencoded.status, 200);
  assertEquals((await urlencoded.json()).body, { domain: "vm1", _csrf: TOKEN });
  const form = new FormData();
  form.set("_csrf", TOKEN);
  const multipart = await a.request("/jobs/pivot", { method: "POST", body: form });
  assertEquals(multipart.status, 200);
});

Deno.test("csrf: missing or wrong tokens are refused with 403", async () => {
  const cases: Array<[string, RequestInit]> = [
    ["none", { method: "POST" }],
    ["empty header", { method: "POST", headers: { "x-csrf-token": "" } }],
    ["wrong header", { method: "POST", headers: { "x-csrf-token": TOKEN.slice(0, -1) + "X" } }],
    ["prefix", { method: "DELETE", headers: { "x-csrf-token": TOKEN.slice(0, 5) } }],
    ["longer", { method: "PUT", headers: { "x-csrf-token": TOKEN + "x" } }],
    ["wrong field", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "_csrf=nope",
    }],
    ["field in JSON body is not read", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ _csrf: TOKEN }),
    }],
    ["field in query is not read", { method: "PATCH" }],
  ];
  for (const [label, init] of cases) {
    const { app: a, reached } = app("session");
    const path = label.includes("query") ? `/api/x?_csrf=${TOKEN}` : "/api/x";
    const res = await a.request(path, init);
    assertEquals(res.status, 403, label);
    const body = await res.json();
    assertEquals(body.error.code, "csrf", label);
    assertStringIncludes(body.error.message, "CSRF token", label);
    assertEquals(reached(), 0, label);
  }
});

Deno.test("csrf: open mode needs its token too", async () => {
  const { app: a } = app("open", "open-token");
  assertEquals((await a.request("/api/x", { method: "POST" })).status, 403);
  const ok = await a.request("/api/x", {
    method: "POST",
    headers: { "x-csrf-token": "open-token" },
  });
  assertEquals(ok.status, 200);
});

Deno.test("csrf: bearer-token callers, anonymous callers and safe methods are exempt", async () => {
  assertEquals((await app("token", null).app.request("/api/x", { method: "POST" })).status, 200);
  assertEquals((await app(null, null).app.request("/login", { method: "POST" })).status, 200);
  assertEquals((await app("session").app.request("/api/x")).status, 200);
  assertEquals((await app("session").app.request("/api/x", { method: "HEAD" })).status, 200);
});

Deno.test("csrf: a session without a token cannot pass with an empty one", async () => {
  const { app: a } = app("session", null);
  const res = await a.request("/api/x", { method: "POST", headers: { "x-csrf-token": "" } });
  assertEquals(res.status, 403);
});
