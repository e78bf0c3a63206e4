import { assert, assertEquals } from "@std/assert";
import { Hono } from "hono";
import { CONTENT_SECURITY_POLICY, securityHeaders } from "../../server/security/headers.ts";

function app() {
  const app = new Hono();
  app.use(securityHeaders());
  app.get("/page", (c) => c.html("<p>hi</p>"));
  app.get("/cors", (c) => {
    c.header("Access-Control-Allow-Origin", "*");
    c.header("Access-Control-Allow-Credentials", "true");
    return c.json({});
  });
  app.get("/raw", () => new Response("raw", { headers: { "access-control-allow-origin": "*" } }));
  app.get("/fetched", () => Response.redirect("http://localhost:8080/", 302));
  return app;
}

Deno.test("headers: strict CSP and friends on every response, including 404", async () => {
  assertEquals(
    CONTENT_SECURITY_POLICY,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  for (const path of ["/page", "/missing", "/raw", "/fetched"]) {
    const res = await app().request(path);
    assertEquals(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
    assertEquals(res.headers.get("x-content-type-options"), "nosniff", path);
    // Not no-referrer: under it browsers send `Origin: null` on our own form posts.
    assertEquals(res.headers.get("referrer-policy"), "same-origin", path);
    assertEquals(res.headers.get("x-frame-options"), "DENY", path);
  }
  const csp = CONTENT_SECURITY_POLICY;
  assert(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"));
});

Deno.test("headers: CORS headers never leave the server", async () => {
  for (const path of ["/cors", "/raw"]) {
    const res = await app().request(path, { headers: { origin: "https://evil.example" } });
    const cors = [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));
    assertEquals(cors, [], path);
  }
  const preflight = await app().request("/page", {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
  });
  assertEquals(preflight.headers.get("access-control-allow-origin"), null);
});
