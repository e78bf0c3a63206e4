import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { Hono } from "hono";
import {
  clearSessionCookie,
  DEFAULT_ABSOLUTE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  SESSION_COOKIE,
  writeSessionCookie,
} from "../../server/auth/sessions.ts";
import { sha256Hex } from "../../server/security/secrets.ts";
import { authFixture } from "./fixture.ts";

async function withUser() {
  const fixture = authFixture();
  await fixture.users.create("alice", "operator", "alice-password");
  return fixture;
}

Deno.test("sessions: defaults are 30 min idle and 12 h absolute", () => {
  assertEquals(DEFAULT_IDLE_TIMEOUT_MS, 30 * 60 * 1000);
  assertEquals(DEFAULT_ABSOLUTE_TIMEOUT_MS, 12 * 60 * 60 * 1000);
});

Deno.test("sessions: ids are 32 random bytes and only their SHA-256 is stored", async () => {
  const { sessions, db } = await withUser();
  const a = await sessions.create("alice", "10.0.0.1");
  const b = await sessions.create("alice", "10.0.0.1");
  assertMatch(a.id, /^[A-Za-z0-9_-]{43}$/); // 32 bytes base64url
  assertNotEquals(a.id, b.id);
  assertNotEquals(a.session.csrfToken, b.session.csrfToken);
  const stored = db.prepare("SELECT id_hash FROM sessions").all().map((r) => r.id_hash);
  assert(!stored.includes(a.id));
  assert(stored.includes(await sha256Hex(a.id)));
  const resolved = await sessions.resolve(a.id);
  assertEquals(resolved?.userName, "alice");
  assertEquals(resolved?.role, "operator");
  assertEquals(resolved?.csrfToken, a.session.csrfToken);
});

Deno.test("sessions: idle timeout ends a session; activity keeps it alive", async () => {
  const { sessions, clock } = await withUser();
  const { id } = await sessions.create("alice", "10.0.0.1");
  clock.advance(DEFAULT_IDLE_TIMEOUT_MS - 1000);
  assert(await sessions.resolve(id), "still alive just before the idle timeout");
  clock.advance(DEFAULT_IDLE_TIMEOUT_MS - 1000);
  assert(await sessions.resolve(id), "the previous request refreshed the idle timer");
  clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
  assertEquals(await sessions.resolve(id), null);
  clock.advance(-DEFAULT_IDLE_TIMEOUT_MS);
  assertEquals(await sessions.resolve(id), null, "expired sessions are deleted, not just hidden");
});

Deno.test("sessions: absolute timeout ends even an active session", async () => {
  const { sessions, clock } = await withUser();
  const { id } = await sessions.create("alice", "10.0.0.1");
  const step = DEFAULT_IDLE_TIMEOUT_MS / 2;
  let elapsed = 0;
  while (elapsed + step < DEFAULT_ABSOLUTE_TIMEOUT_MS) {
    clock.advance(step);
    elapsed += step;
    assert(await sessions.resolve(id), `alive after ${elapsed} ms`);
  }
  clock.advance(DEFAULT_ABSOLUTE_TIMEOUT_MS - elapsed);
  assertEquals(await sessions.resolve(id), null);
});

Deno.test("sessions: forged, malformed and logged-out ids resolve to nothing", async () => {
  const { sessions } = await withUser();
  const { id } = await sessions.create("alice", "10.0.0.1");
  for (
    const forged of [
      "",
      "x",
      "A".repeat(43),
      id.slice(0, 42) + (id[42] === "A" ? "B" : "A"),
      `${id}x`,
    ]
  ) {
    assertEquals(await sessions.resolve(forged), null, forged);
  }
  assertEquals(await sessions.resolve(undefined), null);
  assert(await sessions.destroy(id));
  assertEquals(await sessions.resolve(id), null, "replayed after logout");
  assertEquals(await sessions.destroy(id), false);
});

Deno.test("sessions: role changes apply at once and deleting the user ends its sessions", async () => {
  const { sessions, users } = await withUser();
  await users.create("root", "admin", "root-password");
  const { id } = await sessions.create("alice", "10.0.0.1");
  users.setRole("alice", "viewer");
  assertEquals((await sessions.resolve(id))?.role, "viewer");
  users.delete("alice");
  assertEquals(await sessions.resolve(id), null);
});

Deno.test("sessions: purgeExpired and destroyAllForUser", async () => {
  const { sessions, clock } = await withUser();
  await sessions.create("alice", "a");
  await sessions.create("alice", "b");
  assertEquals(sessions.destroyAllForUser("alice"), 2);
  await sessions.create("alice", "c");
  clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
  assertEquals(sessions.purgeExpired(), 1);
});

Deno.test("session cookie: HttpOnly, SameSite=Strict, Path=/, Secure only under TLS", async () => {
  const app = new Hono();
  app.get("/plain", (c) => {
    writeSessionCookie(c, "abc", { secure: false });
    return c.text("ok");
  });
  app.get("/tls", (c) => {
    writeSessionCookie(c, "abc", { secure: true });
    return c.text("ok");
  });
  app.get("/out", (c) => {
    clearSessionCookie(c, { secure: false });
    return c.text("ok");
  });
  const plain = (await app.request("/plain")).headers.get("set-cookie") ?? "";
  assertMatch(plain, new RegExp(`^${SESSION_COOKIE}=abc;`));
  assertMatch(plain, /; HttpOnly/);
  assertMatch(plain, /; SameSite=Strict/);
  assertMatch(plain, /; Path=\//);
  assert(!/Secure/.test(plain));
  assertMatch((await app.request("/tls")).headers.get("set-cookie") ?? "", /; Secure/);
  assertMatch(
    (await app.request("/out")).headers.get("set-cookie") ?? "",
    /^bb_session=; Max-Age=0/,
  );
});
