import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { hashIterations } from "../../server/auth/password.ts";
import { UserError, UserStore } from "../../server/auth/users.ts";
import { authFixture, TEST_ITERATIONS } from "./fixture.ts";

Deno.test("users: create, get, list, count, delete", async () => {
  const { users } = authFixture();
  assertEquals(users.count(), 0);
  const alice = await users.create("alice", "admin", "alice-password");
  await users.create("bob", "viewer", "bob-password");
  assertEquals(alice.name, "alice");
  assertEquals(alice.role, "admin");
  assertEquals(users.list().map((u) => `${u.name}:${u.role}`), ["alice:admin", "bob:viewer"]);
  assertEquals(users.count(), 2);
  users.delete("bob");
  assertEquals(users.get("bob"), null);
  assertEquals(users.count(), 1);
});

Deno.test("users: names are validated strictly", async () => {
  const { users } = authFixture();
  for (
    const bad of [
      "",
      "Alice",
      "-c",
      "--pivot",
      "1abc",
      "a b",
      "a;b",
      "a\nb",
      "a\0b",
      "<img>",
      "x".repeat(33),
      "local",
    ]
  ) {
    const error = await assertRejects(() => users.create(bad, "viewer", "long-enough"), UserError);
    assertEquals(error.code, "invalid", bad);
  }
  assertEquals(users.count(), 0);
  await users.create("a.b_c-9", "viewer", "long-enough");
});

Deno.test("users: password policy and duplicate names", async () => {
  const { users } = authFixture();
  const short = await assertRejects(() => users.create("carol", "viewer", "short"), UserError);
  assertEquals(short.message, "password must have at least 8 characters");
  await users.create("carol", "viewer", "long-enough");
  const dup = await assertRejects(() => users.create("carol", "admin", "long-enough"), UserError);
  assertEquals(dup.code, "exists");
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => users.create("dave", "root" as any, "long-enough"),
    UserError,
    "unknown role",
  );
});

Deno.test("users: verify accepts the right password only, unknown users cost a hash too", async () => {
  const { users } = authFixture();
  await users.create("erin", "operator", "erin-password");
  assertEquals((await users.verify("erin", "erin-password"))?.role, "operator");
  assertEquals(await users.verify("erin", "wrong-password"), null);
  assertEquals(await users.verify("nobody", "erin-password"), null);
  assertEquals(await users.verify("erin", "x".repeat(5000)), null);
});

Deno.test("users: setPassword changes the password and ends the user's sessions", async () => {
  const { users, sessions } = authFixture();
  await users.create("frank", "operator", "first-password");
  const { id } = await sessions.create("frank", "10.0.0.1");
  await users.setPassword("frank", "second-password");
  assertEquals(await users.verify("frank", "first-password"), null);
  assert(await users.verify("frank", "second-password"));
  assertEquals(await sessions.resolve(id), null);
});

Deno.test("users: the store itself has no rules; delete and setRole of a missing user say so", () => {
  const { users } = authFixture();
  assertEquals(assertThrows(() => users.delete("ghost"), UserError).code, "not-found");
  assertEquals(assertThrows(() => users.setRole("ghost", "viewer"), UserError).code, "not-found");
});

Deno.test("users: disabled users are listed as such; verify still knows them", async () => {
  const { users, sessions } = authFixture();
  await users.create("dora", "operator", "dora-password");
  const { id } = await sessions.create("dora", "10.0.0.9");
  users.setDisabled("dora", true);
  assertEquals(users.get("dora")?.disabled, true);
  assertEquals((await users.verify("dora", "dora-password"))?.disabled, true);
  assertEquals(await sessions.resolve(id), null, "disabling ends the sessions");
  users.setDisabled("dora", false);
  assertEquals(users.get("dora")?.disabled, false);
  assertEquals(users.get("dora")?.lastLoginAt, null);
  users.recordLogin("dora");
  assert(users.get("dora")?.lastLoginAt);
});

Deno.test("users: weaker stored hashes are upgraded on login", async () => {
  const { db, users } = authFixture();
  await users.create("gina", "viewer", "gina-password");
  const stronger = new UserStore(db, { iterations: TEST_ITERATIONS * 2 });
  assert(await stronger.verify("gina", "gina-password"));
  const row = db.prepare("SELECT password_hash FROM users WHERE name = 'gina'").get() as {
    password_hash: string;
  };
  assertEquals(hashIterations(row.password_hash), TEST_ITERATIONS * 2);
});
