import { assertEquals, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import type { AppEnv } from "../../server/env.ts";
import { originCheck } from "../../server/security/origin.ts";

const allowed = new Set(["localhost:8080", "127.0.0.1:8080"]);

function app() {
  let reached = 0;
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  app.use(originCheck({ allowed }));
  app.all("*", (c) => {
    reached++;
    return c.text("reached");
  });
  return { app, reached: () => reached };
}

/** Every body type a cross-site page can send, including "simple" ones needing no preflight. */
const BODIES: Array<{ type: string | null; body: BodyInit | null }> = [
  { type: "application/x-www-form-urlencoded", body: "domain=vm1&_csrf=x" },
  {
    type: "multipart/form-data; boundary=b",
    body: "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--\r\n",
  },
  { type: "text/plain", body: '{"domain":"vm1"}' },
  { type: "application/json", body: '{"domain":"vm1"}' },
  { type: null, body: null },
];

Deno.test("origin: cross-site POST is refused for every content type and for none", async () => {
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    for (const { type, body } of BODIES) {
      for (
        const headers of [
          { origin: "https://evil.example" },
          { origin: "http://localhost:9999" },
          { origin: "null" },
          { "sec-fetch-site": "cross-site" },
          { "sec-fetch-site": "same-site" },
          { origin: "http://localhost:8080", "sec-fetch-site": "cross-site" },
          {},
        ] as Record<string, string>[]
      ) {
        const { app: a, reached } = app();
        const init: RequestInit = {
          method,
          headers: { ...headers, ...(type ? { "content-type": type } : {}) },
          body: method === "DELETE" ? null : body,
        };
        const res = await a.request("/api/jobs/pivot", init);
        const label = `${method} ${type} ${JSON.stringify(headers)}`;
        assertEquals(res.status, 403, label);
        assertEquals((await res.json()).error.code, "cross_site", label);
        assertEquals(reached(), 0, label);
      }
    }
  }
});

Deno.test("origin: same-origin requests pass", async () => {
  for (
    const headers of [
      { origin: "http://localhost:8080" },
      { origin: "https://127.0.0.1:8080" },
      { origin: "HTTP://LOCALHOST:8080" },
      { "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "none" },
      { origin: "http://localhost:8080", "sec-fetch-site": "same-origin" },
    ] as Record<string, string>[]
  ) {
    const { app: a, reached } = app();
    const res = await a.request("/api/jobs/pivot", { method: "POST", headers });
    assertEquals(res.status, 200, JSON.stringify(headers));
    assertEquals(reached(), 1);
  }
});

Deno.test("origin: scripts without Origin must use a bearer token", async () => {
  const { app: a } = app();
  const bare = await a.request("/api/jobs/pivot", { method: "POST" });
  assertEquals(bare.status, 403);
  assertStringIncludes((await bare.json()).error.message, "API token");
  const bearer = await a.request("/api/jobs/pivot", {
    method: "POST",
    headers: { authorization: "Bearer abc" },
  });
  assertEquals(bearer.status, 200, "validity is the auth step's job");
  const foreignBearer = await a.request("/api/jobs/pivot", {
    method: "POST",
    headers: { authorization: "Bearer abc", origin: "https://evil.example" },
  });
  assertEquals(foreignBearer.status, 403, "a bearer does not excuse a foreign Origin");
});

Deno.test("origin: malformed Origin values are refused", async () => {
  for (
    const origin of [
      "",
      "evil",
      "file://",
      "http://localhost:8080/path",
      "http://u@localhost:8080",
      "ftp://localhost:8080",
    ]
  ) {
    const { app: a } = app();
    const res = await a.request("/x", { method: "POST", headers: { origin } });
    assertEquals(res.status, 403, origin);
  }
});

Deno.test("origin: safe methods pass, except cross-site WebSocket upgrades", async () => {
  const { app: a, reached } = app();
  assertEquals(
    (await a.request("/x", { headers: { origin: "https://evil.example" } })).status,
    200,
  );
  assertEquals(reached(), 1);
  const ws = await a.request("/ws", {
    headers: { upgrade: "websocket", origin: "https://evil.example" },
  });
  assertEquals(ws.status, 403);
  const sameWs = await a.request("/ws", {
    headers: { upgrade: "websocket", origin: "http://localhost:8080" },
  });
  assertEquals(sameWs.status, 200);
});

Deno.test("origin: page paths get a plain-text refusal (htmx), the error page (a browser)", async () => {
  const { app: a } = app();
  const res = await a.request("/jobs/pivot", {
    method: "POST",
    headers: { origin: "https://evil.example", "hx-request": "true" },
  });
  assertEquals(res.status, 403);
  assertStringIncludes(res.headers.get("content-type") ?? "", "text/plain");
  const page = await a.request("/jobs/pivot", {
    method: "POST",
    headers: { origin: "https://evil.example", accept: "text/html" },
  });
  assertEquals(page.status, 403);
  assertStringIncludes(page.headers.get("content-type") ?? "", "text/html");
  // The hostile origin is text in the page, never markup.
  assertStringIncludes(await page.text(), "&quot;https://evil.example&quot;");
});
