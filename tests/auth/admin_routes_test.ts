/**
 * `/admin/users` (htmx sections) and `/api/v1/admin/*` through the real app with the security
 * layer on: every action, every refusal (non-admin, CSRF, bad input naming the field, the last
 * admin), and the audit rows they leave.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { type Login, messageOf, type World, world } from "../support/app_world.ts";
import { answerChecker } from "../openapi/answers.ts";
import { apiDocument } from "../../server/openapi/registry.ts";

const FORM = "application/x-www-form-urlencoded";
const HTMX = { "hx-request": "true" };

function form(fields: Record<string, string>): { body: string; type: string } {
  return { body: new URLSearchParams(fields).toString(), type: FORM };
}

async function post(w: World, as: Login, path: string, fields: Record<string, string> = {}) {
  return await w.request(path, { method: "POST", as, ...form(fields), headers: HTMX });
}

/** Every audit row. */
function allRows(w: World) {
  return w.security.audit.query({ limit: 1000 }).entries;
}

/** The rows the account rules wrote. */
function accountRows(w: World) {
  return allRows(w).filter((e) => /^(user|token|session)\./.test(e.action));
}

function auditOf(w: World, prefix: string) {
  w.security.audit.flush();
  return w.security.audit.query({ limit: 1000 }).entries
    .filter((e) => e.action.startsWith(prefix))
    .map((e) => `${e.user} ${e.action} ${e.result}: ${e.message}`)
    .reverse();
}

Deno.test("admin routes: only admins; anonymous callers are sent to sign in; CSRF as everywhere", async () => {
  const w = await world();
  try {
    const operator = await w.login("operator");
    const viewer = await w.login("viewer");
    const admin = await w.login("admin");
    for (const as of [operator, viewer]) {
      assertEquals((await w.request("/admin/users", { as })).status, 403);
      assertEquals((await w.request("/api/v1/admin/users", { as })).status, 403);
      const add = await post(w, as, "/admin/users", {
        name: "mallory",
        role: "admin",
        password: "long-enough-1",
      });
      assertEquals(add.status, 403);
      assertStringIncludes(await messageOf(add), "needs the admin role");
    }
    const anonymous = await w.request("/admin/users");
    assertEquals(anonymous.status, 303);
    assertEquals(anonymous.headers.get("location"), "/login?next=%2Fadmin%2Fusers");
    assertEquals((await w.request("/api/v1/admin/tokens")).status, 401);
    // CSRF: a missing or wrong token changes nothing.
    for (const csrf of [null, "wrong"]) {
      const res = await w.request("/admin/users", {
        method: "POST",
        as: admin,
        csrf,
        ...form({ name: "mallory", role: "admin", password: "long-enough-1" }),
      });
      assertEquals(res.status, 403);
      assertStringIncludes(await messageOf(res), "CSRF token");
    }
    assertEquals(w.security.users.get("mallory"), null);
    assertEquals(accountRows(w), []);
    // The refusals themselves are audited by the app, like any refused request.
    assertEquals(allRows(w).filter((e) => e.action === "POST /admin/users").length, 4);
  } finally {
    await w.cleanup();
  }
});

Deno.test("admin page: users are added, changed, disabled, deleted; refusals name the field", async () => {
  const w = await world();
  try {
    const admin = await w.login("admin");
    const page = await w.request("/admin/users", { as: admin });
    assertEquals(page.status, 200);
    const html = await page.text();
    for (const name of ["admin", "operator", "viewer"]) {
      assert(html.includes(`data-user="${name}"`));
    }
    assertMatch(html, /<h1>Users and tokens<\/h1>/);

    const added = await post(w, admin, "/admin/users", {
      name: "carol",
      role: "viewer",
      password: "carol-password",
    });
    assertEquals(added.status, 200);
    const addedHtml = await added.text();
    assertStringIncludes(addedHtml, "Added carol (viewer).");
    assertStringIncludes(addedHtml, 'data-user="carol" data-role="viewer"');

    const refusals: Array<[Record<string, string>, number, string]> = [
      [{ name: "Bad Name", role: "viewer", password: "long-enough-1" }, 400, "user name must"],
      [{ name: "dave", role: "root", password: "long-enough-1" }, 400, "role must be one of"],
      [{ name: "dave", role: "viewer", password: "short" }, 400, "password must have at least 8"],
      [{ name: "dave", role: "viewer" }, 400, "password is required"],
      [{ name: "carol", role: "viewer", password: "long-enough-1" }, 409, "already exists"],
      [
        { name: "<img src=x onerror=alert(1)>", role: "viewer", password: "long-enough-1" },
        400,
        "",
      ],
    ];
    for (const [fields, status, words] of refusals) {
      const res = await post(w, admin, "/admin/users", fields);
      assertEquals(res.status, status, JSON.stringify(fields));
      const text = await res.text();
      assertStringIncludes(text, words);
      assertStringIncludes(text, 'id="admin-users"', "the section comes back with the reason");
      assert(!text.includes("<img src=x"), "escaped");
    }
    assertEquals(w.security.users.get("dave"), null);

    // Role, password, disable, enable.
    const role = await post(w, admin, "/admin/users/carol/role", { role: "operator" });
    assertEquals(role.status, 200);
    assertStringIncludes(await role.text(), "carol is now operator.");
    assertEquals(w.security.users.get("carol")?.role, "operator");
    const badRole = await post(w, admin, "/admin/users/carol/role", { role: "boss" });
    assertEquals(badRole.status, 400);
    assertStringIncludes(await badRole.text(), "role must be one of: viewer, operator, admin");

    const { id: carolCookie } = await w.security.sessions.create("carol", "192.0.2.20");
    const carol: Login = { cookie: `bb_session=${carolCookie}`, csrf: "" };
    assertEquals((await w.request("/api/v1/domains", { as: carol })).status, 200);
    const disabled = await post(w, admin, "/admin/users/carol/disable");
    assertEquals(disabled.status, 200);
    const disabledHtml = await disabled.text();
    assertStringIncludes(disabledHtml, "Disabled carol; their sessions ended.");
    assertStringIncludes(disabledHtml, 'hx-swap-oob="true"', "the sessions section is redrawn");
    assertEquals((await w.request("/api/v1/domains", { as: carol })).status, 401);
    const login = await w.request("/login", {
      method: "POST",
      ...form({ username: "carol", password: "carol-password" }),
    });
    assertEquals(login.status, 401);
    assertStringIncludes(await login.text(), "This account is disabled");
    assertEquals(w.security.sessions.listActive().filter((s) => s.userName === "carol"), []);
    assertEquals((await post(w, admin, "/admin/users/carol/enable")).status, 200);

    const reset = await post(w, admin, "/admin/users/carol/password", { password: "x" });
    assertEquals(reset.status, 400);
    assertStringIncludes(await reset.text(), "password must have at least 8 characters");
    const resetOk = await post(w, admin, "/admin/users/carol/password", {
      password: "carol-new-password",
    });
    assertEquals(resetOk.status, 200);
    assert(await w.security.users.verify("carol", "carol-new-password"));

    const { id: again } = await w.security.sessions.create("carol", "192.0.2.20");
    const gone = await post(w, admin, "/admin/users/carol/delete");
    assertEquals(gone.status, 200);
    assertStringIncludes(await gone.text(), "Deleted carol; their sessions ended.");
    assertEquals(await w.security.sessions.resolve(again), null);
    assertEquals((await post(w, admin, "/admin/users/carol/delete")).status, 404);

    assertEquals(auditOf(w, "user."), [
      "admin user.add ok: added carol (viewer)",
      "admin user.add refused: \"Bad Name\": user name must start with a lowercase letter and use only a-z, 0-9, '.', '_', '-' (at most 32 characters)",
      'admin user.add refused: "dave": role must be one of: viewer, operator, admin',
      'admin user.add refused: "dave": password must have at least 8 characters',
      'admin user.add refused: "dave": password is required',
      'admin user.add refused: "carol": user carol already exists',
      "admin user.add refused: \"<img src=x onerror=alert(1)>\": user name must start with a lowercase letter and use only a-z, 0-9, '.', '_', '-' (at most 32 characters)",
      "admin user.role ok: carol: viewer → operator",
      "admin user.role refused: carol: role must be one of: viewer, operator, admin",
      "admin user.disable ok: disabled carol; their sessions ended",
      "admin user.enable ok: enabled carol",
      "admin user.password refused: carol: password must have at least 8 characters",
      "admin user.password ok: new password for carol; their sessions ended",
      "admin user.delete ok: deleted carol (operator)",
      'admin user.delete refused: carol: no user named "carol"',
    ]);
    // Each refusal is one row: the app's refusal audit adds none of its own.
    w.security.audit.flush();
    assertEquals(w.security.audit.query({ action: "/admin/", limit: 100 }).entries, []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("admin page: the last enabled admin cannot be deleted, demoted or disabled (409)", async () => {
  const w = await world();
  try {
    const admin = await w.login("admin");
    for (
      const [path, fields] of [
        ["/admin/users/admin/delete", {}],
        ["/admin/users/admin/role", { role: "operator" }],
        ["/admin/users/admin/disable", {}],
      ] as const
    ) {
      const res = await post(w, admin, path, fields);
      assertEquals(res.status, 409, path);
      assertStringIncludes(
        await res.text(),
        "admin is the last admin left enabled and cannot be",
      );
    }
    const api = await w.request("/api/v1/admin/users/admin", { method: "DELETE", as: admin });
    assertEquals(api.status, 409);
    assertEquals((await api.json()).error.code, "last_admin");
    assertEquals(w.security.users.get("admin")?.role, "admin");
    assertEquals(w.security.users.get("admin")?.disabled, false);
    // With a second admin, demoting oneself works (and the next admin-only request is a 403).
    await post(w, admin, "/admin/users", { name: "root2", role: "admin", password: "root2-pass" });
    assertEquals((await post(w, admin, "/admin/users/admin/role", { role: "viewer" })).status, 200);
    assertEquals((await w.request("/admin/users", { as: admin })).status, 403);
  } finally {
    await w.cleanup();
  }
});

Deno.test("admin page: a token is shown once, works as a bearer, and stops at revoke", async () => {
  const w = await world();
  try {
    const admin = await w.login("admin");
    const made = await post(w, admin, "/admin/tokens", { name: "ci", role: "viewer" });
    assertEquals(made.status, 200);
    assertEquals(made.headers.get("cache-control"), "no-store");
    const html = await made.text();
    const token = /<code id="new-token" class="token-secret">(bbt_[^<]+)<\/code>/.exec(html)?.[1];
    assert(token, html);
    assertStringIncludes(html, "shown only this once");
    const page = await (await w.request("/admin/users", { as: admin })).text();
    assert(page.includes('data-token="ci"'));
    assert(!page.includes(token), "never shown again");

    const bearer = { authorization: `Bearer ${token}` };
    assertEquals((await w.request("/api/v1/domains", { headers: bearer })).status, 200);
    const dup = await post(w, admin, "/admin/tokens", { name: "ci", role: "viewer" });
    assertEquals(dup.status, 409);
    const bad = await post(w, admin, "/admin/tokens", { name: "ci", role: "" });
    assertEquals(bad.status, 400);
    assertStringIncludes(await bad.text(), "role must be one of");

    const revoked = await post(w, admin, "/admin/tokens/ci/revoke");
    assertEquals(revoked.status, 200);
    assertStringIncludes(await revoked.text(), "Revoked token ci; it no longer works.");
    assertEquals((await w.request("/api/v1/domains", { headers: bearer })).status, 401);
    assertEquals((await post(w, admin, "/admin/tokens/ci/revoke")).status, 404);
    assertEquals(auditOf(w, "token."), [
      "admin token.create ok: created token ci (viewer)",
      'admin token.create refused: "ci": a token named ci already exists',
      'admin token.create refused: "ci": role must be one of: viewer, operator, admin',
      "admin token.revoke ok: revoked token ci (viewer)",
      'admin token.revoke refused: ci: no token named "ci"',
    ]);
    assert(!JSON.stringify(allRows(w)).includes(token), "the audit never holds the secret");
  } finally {
    await w.cleanup();
  }
});

Deno.test("admin page: sessions are listed and ended; ending one's own signs out", async () => {
  const w = await world();
  try {
    const admin = await w.login("admin");
    const operator = await w.login("operator");
    const html = await (await w.request("/admin/users", { as: admin })).text();
    assertStringIncludes(html, 'data-session-user="operator"');
    assertStringIncludes(html, 'data-session-user="admin" data-current="true"');
    const theirs = w.security.sessions.listActive().find((s) => s.userName === "operator")!;
    const bad = await post(w, admin, "/admin/sessions/zz/end");
    assertEquals(bad.status, 400);
    assertStringIncludes(await bad.text(), "session id must be 64 hex digits");
    const ended = await post(w, admin, `/admin/sessions/${theirs.idHash}/end`);
    assertEquals(ended.status, 200);
    assertStringIncludes(await ended.text(), "Ended a session of operator.");
    assertEquals((await w.request("/api/v1/domains", { as: operator })).status, 401);
    assertEquals((await post(w, admin, `/admin/sessions/${theirs.idHash}/end`)).status, 404);

    const mine = w.security.sessions.listActive().find((s) => s.userName === "admin")!;
    const out = await post(w, admin, `/admin/sessions/${mine.idHash}/end`);
    assertEquals(out.status, 200);
    assertEquals(out.headers.get("hx-redirect"), "/login");
    assertMatch(out.headers.get("set-cookie") ?? "", /bb_session=;.*Max-Age=0/);
    assertEquals((await w.request("/admin/users", { as: admin })).status, 303);
    assertEquals(auditOf(w, "session."), [
      "admin session.end ok: ended a session of operator from 192.0.2.9",
      "admin session.end refused: that session has already ended",
      "admin session.end ok: ended a session of admin from 192.0.2.9",
    ]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("admin API: JSON for every action, errors name the field", async () => {
  const w = await world();
  try {
    const admin = await w.login("admin");
    // Every JSON answer is checked against the OpenAPI document (its route found by pattern).
    const doc = answerChecker(apiDocument());
    const pattern = (path: string) =>
      `/api/v1/admin${path}`.replace(/\/(users|tokens)\/[^/]+$/, "/$1/:name")
        .replace(/\/sessions\/[^/]+$/, "/sessions/:id");
    const api = async (path: string, method = "GET", json?: unknown) => {
      const res = await w.request(`/api/v1/admin${path}`, { method, as: admin, json });
      if (res.status !== 204 && res.status !== 401) {
        doc.check(method, pattern(path), res.status, await res.clone().json());
      }
      return res;
    };
    const created = await api("/users", "POST", {
      name: "erin",
      role: "operator",
      password: "erin-password",
    });
    assertEquals(created.status, 201);
    assertEquals((await created.json()).user.name, "erin");
    const bad = await api("/users", "POST", { name: "erin2", role: "operator", password: "x" });
    assertEquals(bad.status, 400);
    assertEquals((await bad.json()).error, {
      code: "invalid_input",
      message: "password must have at least 8 characters",
      field: "password",
    });
    const patched = await api("/users/erin", "PATCH", { role: "viewer" });
    assertEquals((await patched.json()).user.role, "viewer");
    const disabled = await api("/users/erin", "PATCH", { disabled: true });
    assertEquals((await disabled.json()).user.disabled, true);
    const two = await api("/users/erin", "PATCH", { role: "admin", disabled: false });
    assertEquals(two.status, 400);
    assertStringIncludes(await messageOf(two), "send exactly one of role, disabled, password");
    const unknown = await api("/users/erin", "PATCH", { rol: "admin" });
    assertEquals(unknown.status, 400);
    const users = await (await api("/users")).json();
    assertEquals(users.users.map((u: { name: string }) => u.name), [
      "admin",
      "erin",
      "operator",
      "viewer",
    ]);

    const token = await api("/tokens", "POST", { name: "deploy", role: "operator" });
    assertEquals(token.status, 201);
    const { token: secret } = await token.json();
    assertMatch(secret, /^bbt_/);
    const listed = await (await api("/tokens")).json();
    assertEquals(listed.tokens.map((t: { name: string }) => t.name), ["deploy"]);
    assert(!JSON.stringify(listed).includes(secret));
    assertEquals((await api("/tokens/deploy", "DELETE")).status, 204);
    assertEquals((await api("/tokens/deploy", "DELETE")).status, 404);

    const sessions = await (await api("/sessions")).json();
    assertEquals(sessions.sessions.length, 1);
    assertEquals(sessions.sessions[0].current, true);
    const last = await api("/users/admin", "PATCH", { disabled: true });
    assertEquals(last.status, 409);
    assertEquals((await last.json()).error.code, "last_admin");
    assertEquals((await api("/users/erin", "DELETE")).status, 204);
    assertEquals((await api("/users/erin", "DELETE")).status, 404);
    assertEquals((await api(`/sessions/${sessions.sessions[0].id}`, "DELETE")).status, 204);
    assertEquals((await api("/users")).status, 401, "that was the caller's own session");
  } finally {
    await w.cleanup();
  }
});
