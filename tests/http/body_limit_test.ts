import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { HOST, ORIGIN, world } from "../support/app_world.ts";
import { API_BODY_LIMIT, FORM_BODY_LIMIT } from "../../server/http/body_limit.ts";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { FakeRunner } from "../support/fake_runner.ts";

/** A chunked body (no Content-Length) of `total` bytes, counting how many were pulled. */
function countingStream(total: number, chunk = 1024) {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) return controller.close();
      const n = Math.min(chunk, total - state.pulled);
      state.pulled += n;
      controller.enqueue(new Uint8Array(n).fill(0x61));
    },
  });
  return { stream, state };
}

Deno.test("a login form over the cap is refused with 413 by its Content-Length, before parsing", async () => {
  const w = await world();
  try {
    const body = "username=a&password=" + "x".repeat(400 * 1024);
    const res = await w.app.request("/login", {
      method: "POST",
      headers: {
        host: HOST,
        origin: ORIGIN,
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(body.length),
        accept: "text/html",
      },
      body,
    });
    assertEquals(res.status, 413);
    const html = await res.text();
    assertStringIncludes(html, `${FORM_BODY_LIMIT / 1024} KiB`);
    assert(res.headers.get("content-security-policy"), "the 413 carries the security headers");
    assertEquals(w.runner.calls, []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("a chunked JSON body is cut off at the API cap: 413 JSON, not read to its end", async () => {
  const w = await world();
  try {
    const operator = await w.login("operator");
    const { stream, state } = countingStream(10 * 1024 * 1024);
    const res = await w.app.request("/api/v1/terminal", {
      method: "POST",
      headers: {
        host: HOST,
        origin: ORIGIN,
        cookie: operator.cookie,
        "x-csrf-token": operator.csrf,
        "content-type": "application/json",
      },
      body: stream,
      // @ts-ignore: Deno's RequestInit takes duplex for streamed bodies
      duplex: "half",
    });
    assertEquals(res.status, 413);
    const body = await res.json();
    assertEquals(body.error.code, "payload_too_large");
    assertStringIncludes(body.error.message, `${API_BODY_LIMIT / 1024} KiB`);
    assert(state.pulled <= API_BODY_LIMIT + 2048, `read ${state.pulled} bytes of the body`);
    assertEquals(w.runner.calls, []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("a chunked form body over the cap is refused before the CSRF check reads it", async () => {
  const w = await world();
  try {
    const operator = await w.login("operator");
    const { stream, state } = countingStream(2 * 1024 * 1024);
    const res = await w.app.request("/logout", {
      method: "POST",
      headers: {
        host: HOST,
        origin: ORIGIN,
        cookie: operator.cookie,
        "content-type": "application/x-www-form-urlencoded",
        accept: "text/html",
      },
      body: stream,
      // @ts-ignore: Deno's RequestInit takes duplex for streamed bodies
      duplex: "half",
    });
    assertEquals(res.status, 413);
    assert(state.pulled <= FORM_BODY_LIMIT + 2048, `read ${state.pulled} bytes of the body`);
  } finally {
    await w.cleanup();
  }
});

Deno.test("bodies under the cap pass, with and without the guard chain", async () => {
  const w = await world();
  try {
    const operator = await w.login("operator");
    const res = await w.request("/api/v1/terminal", { as: operator, json: { command: "list" } });
    assertEquals(res.status, 200);
  } finally {
    await w.cleanup();
  }
  const runner = new FakeRunner();
  const open = createApp(
    createServices(runner, { monitor: { sampling: false, events: false } }),
  );
  const ok = await open.request("/api/v1/terminal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command: "list" }),
  });
  assertEquals(ok.status, 200);
  const big = await open.request("/api/v1/terminal", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command: "x".repeat(API_BODY_LIMIT) }),
  });
  assertEquals(big.status, 413);
});
