/**
 * Login and logout through the real app with the security layer on: every refused login post is
 * in the audit log exactly once (bad Origin, bad form, wrong password, rate limit), and browsers
 * get the styled login or error page while JSON clients get JSON.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { messageOf, ORIGIN, world } from "../support/app_world.ts";

const FORM = "application/x-www-form-urlencoded";
const HTML = "text/html,application/xhtml+xml";

Deno.test("login refused by the Origin check is audited like any other refusal", async () => {
  const w = await world();
  try {
    for (const origin of ["https://evil.example", "null"]) {
      const res = await w.request("/login", {
        body: "username=operator&password=operator-password-long",
        type: FORM,
        headers: { origin, accept: HTML },
      });
      assertEquals(res.status, 403, origin);
      await res.body?.cancel();
    }
    const { entries } = w.security.audit.query({ action: "POST /login" });
    assertEquals(entries.length, 2, "one entry per refused post");
    for (const entry of entries) {
      assertEquals(entry.result, "refused");
      assertEquals(entry.user, "anonymous");
      assertMatch(entry.message, /^403 .*Origin/);
    }
  } finally {
    await w.cleanup();
  }
});

Deno.test("wrong password, empty form and rate limit: each audited once, with the name typed", async () => {
  const w = await world();
  try {
    const wrong = await w.request("/login", {
      body: "username=operator&password=nope",
      type: FORM,
      headers: { accept: HTML },
    });
    assertEquals(wrong.status, 401);
    const html = await wrong.text();
    assertStringIncludes(html, "Wrong user name or password.");
    assertStringIncludes(html, '<link rel="stylesheet" href="/static/app.css"');

    const empty = await w.request("/login", {
      body: "username=&password=x",
      type: FORM,
      headers: { accept: HTML },
    });
    assertEquals(empty.status, 400);
    assertStringIncludes(await empty.text(), "enter your user name");

    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      await last?.body?.cancel();
      last = await w.request("/login", {
        body: `username=operator&password=guess-${i}`,
        type: FORM,
        headers: { accept: HTML },
      });
    }
    assertEquals(last!.status, 429);
    assert(Number(last!.headers.get("retry-after")) > 0);
    const limited = await last!.text();
    assertStringIncludes(limited, "Too many failed logins");
    assertStringIncludes(limited, 'class="login"', "the login page again, styled");

    const all = w.security.audit.query({ result: "refused" }).entries;
    // 1 wrong + 1 empty + 6 more attempts; none counted twice by the app's refusal audit. The two
    // rate-limited attempts share one folded row (count 2).
    assertEquals(all.length, 7, JSON.stringify(all.map((e) => [e.action, e.message])));
    assertEquals(all.reduce((n, e) => n + e.count, 0), 8);
    assert(all.every((e) => e.action === "login"), "the route's own entries, nothing anonymous");
    assertEquals(all.filter((e) => e.user === "anonymous").length, 1, "the empty name");
    assertEquals(all.filter((e) => e.user === "operator").length, 6);
    assertMatch(all.find((e) => e.user === "anonymous")!.message, /^400 enter your user name/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("a rate-limited JSON client gets the JSON error, not a page", async () => {
  const w = await world();
  try {
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      await last?.body?.cancel();
      last = await w.request("/login", {
        body: `username=viewer&password=guess-${i}`,
        type: FORM,
        headers: { accept: "application/json" },
      });
    }
    assertEquals(last!.status, 429);
    assertEquals((await last!.json()).error.code, "rate_limited");
  } finally {
    await w.cleanup();
  }
});

Deno.test("logout ends the session server-side; a replayed cookie is refused", async () => {
  const w = await world();
  try {
    const res = await w.request("/login", {
      body: "username=operator&password=operator-password-long",
      type: FORM,
      headers: { origin: ORIGIN, accept: HTML },
    });
    assertEquals(res.status, 303);
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
    assertMatch(cookie, /^bb_session=./);
    const page = await w.request("/", { headers: { cookie } });
    const csrf = /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(await page.text())?.[1];
    assert(csrf, "the page carries the CSRF token");

    const out = await w.request("/logout", {
      body: `_csrf=${csrf}`,
      type: FORM,
      headers: { cookie, accept: HTML },
    });
    assertEquals(out.status, 303);
    assertEquals(out.headers.get("location"), "/login");
    const replay = await w.request("/api/v1/domains", { headers: { cookie } });
    assertEquals(replay.status, 401, await messageOf(replay));
    const pageReplay = await w.request("/", { headers: { cookie } });
    assertEquals(pageReplay.status, 303);
    assertEquals(pageReplay.headers.get("location"), "/login");
  } finally {
    await w.cleanup();
  }
});
