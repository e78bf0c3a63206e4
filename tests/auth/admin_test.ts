import { assert, assertEquals, assertRejects } from "@std/assert";
import { AccountAdmin, type Actor } from "../../server/auth/admin.ts";
import { UserError } from "../../server/auth/users.ts";
import type { AuditInput } from "../../server/audit/log.ts";
import { authFixture } from "./fixture.ts";

const ADA: Actor = { user: "ada", role: "admin", client: "10.0.0.1" };

function world() {
  const fixture = authFixture();
  const audited: AuditInput[] = [];
  const admin = new AccountAdmin({ ...fixture, audit: { record: (e) => audited.push(e) } });
  return { ...fixture, admin, audited };
}

async function refusal(p: Promise<unknown>): Promise<UserError> {
  return await assertRejects(() => p, UserError);
}

Deno.test("admin: the last enabled admin cannot be deleted, demoted or disabled", async () => {
  const { admin, users, audited } = world();
  await admin.addUser(ADA, { name: "root1", role: "admin", password: "admin-password" });
  for (
    const p of [
      admin.deleteUser(ADA, "root1"),
      admin.setRole(ADA, "root1", { role: "operator" }),
      admin.setDisabled(ADA, "root1", true),
    ]
  ) {
    const e = await refusal(p);
    assertEquals(e.code, "last-admin");
    assert(e.message.includes("last admin"), e.message);
  }
  assertEquals(users.get("root1")?.role, "admin");
  assertEquals(users.get("root1")?.disabled, false);
  // A disabled second admin does not count.
  await admin.addUser(ADA, { name: "root2", role: "admin", password: "admin-password" });
  await admin.setDisabled(ADA, "root2", true);
  assertEquals((await refusal(admin.setDisabled(ADA, "root1", true))).code, "last-admin");
  // A disabled admin is no admin to keep: it may be demoted while root1 stays.
  await admin.setRole(ADA, "root2", { role: "operator" });
  await admin.setRole(ADA, "root2", { role: "admin" });
  await admin.setDisabled(ADA, "root2", false);
  await admin.setRole(ADA, "root1", { role: "viewer" });
  assertEquals(users.get("root1")?.role, "viewer");
  assertEquals((await refusal(admin.deleteUser(ADA, "root2"))).code, "last-admin");
  // The CLI's --force, from the host's shell.
  await admin.deleteUser(ADA, "root2", { force: true });
  assertEquals(users.get("root2"), null);
  assertEquals(
    audited.map((e) => `${e.action} ${e.result}`),
    [
      "user.add ok",
      "user.delete refused",
      "user.role refused",
      "user.disable refused",
      "user.add ok",
      "user.disable ok",
      "user.disable refused",
      "user.role ok",
      "user.role ok",
      "user.enable ok",
      "user.role ok",
      "user.delete refused",
      "user.delete ok",
    ],
  );
  assert(audited.every((e) => e.user === "ada" && e.client === "10.0.0.1"));
});

Deno.test("admin: bad input is refused naming the field, and changes nothing", async () => {
  const { admin, users, tokens } = world();
  const cases: Array<[Promise<unknown>, string, string]> = [
    [
      admin.addUser(ADA, { name: "Bad Name", role: "viewer", password: "long-enough" }),
      "name",
      "user name must",
    ],
    [
      admin.addUser(ADA, { name: "bob", role: "root", password: "long-enough" }),
      "role",
      "role must be one of",
    ],
    [
      admin.addUser(ADA, { name: "bob", role: "viewer", password: "short" }),
      "password",
      "password must have at least 8",
    ],
    [admin.addUser(ADA, { role: "viewer", password: "long-enough" }), "name", "name is required"],
    [admin.createToken(ADA, { name: "ci", role: "god" }), "role", "role must be one of"],
    [admin.createToken(ADA, { name: "env", role: "viewer" }), "name", "reserved"],
  ];
  for (const [p, field, words] of cases) {
    const e = await refusal(p);
    assertEquals([e.code, e.field], ["invalid", field]);
    assert(e.message.includes(words), e.message);
  }
  assertEquals(users.count(), 0);
  assertEquals(tokens.count(), 0);
});

Deno.test("admin: tokens are created once and revoked; sessions are listed and ended", async () => {
  const { admin, users, tokens, sessions } = world();
  await users.create("otto", "operator", "otto-password");
  const created = await admin.createToken(ADA, { name: "ci", role: "operator" });
  assertEquals(await tokens.verify(created.token), { name: "token:ci", role: "operator" });
  assertEquals(
    (await refusal(admin.createToken(ADA, { name: "ci", role: "viewer" }))).code,
    "exists",
  );
  assert(!JSON.stringify(admin.listTokens()).includes(created.token));
  await admin.revokeToken(ADA, "ci");
  assertEquals(await tokens.verify(created.token), null);
  assertEquals((await refusal(admin.revokeToken(ADA, "ci"))).code, "not-found");

  const one = await sessions.create("otto", "10.0.0.7");
  const two = await sessions.create("otto", "10.0.0.8");
  assertEquals(admin.listSessions().map((s) => s.client).sort(), ["10.0.0.7", "10.0.0.8"]);
  await admin.endSession(ADA, one.session.idHash);
  assertEquals(await sessions.resolve(one.id), null);
  assert(await sessions.resolve(two.id));
  assertEquals((await refusal(admin.endSession(ADA, one.session.idHash))).code, "not-found");
  // Deleting the user ends the rest.
  await admin.deleteUser(ADA, "otto");
  assertEquals(await sessions.resolve(two.id), null);
  assertEquals(admin.listSessions(), []);
});
