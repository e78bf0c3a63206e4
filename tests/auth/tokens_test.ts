import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { TokenStore } from "../../server/auth/tokens.ts";
import { sha256Hex } from "../../server/security/secrets.ts";
import { authFixture } from "./fixture.ts";

const ENV_TOKEN = "env-token-for-automation-0123456789";

Deno.test("tokens: created tokens verify with their role and are stored only hashed", async () => {
  const { tokens, db } = authFixture();
  const { token, info } = await tokens.create("ci", "operator");
  assertMatch(token, /^bbt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assertEquals(info.name, "ci");
  assertEquals(await tokens.verify(token), { name: "token:ci", role: "operator" });
  const row = db.prepare("SELECT * FROM tokens").get() as Record<string, unknown>;
  assert(!Object.values(row).includes(token), "the token itself is not stored");
  assert(!Object.values(row).some((v) => String(v).includes(token.slice(22))));
  assertEquals(row.secret_hash, await sha256Hex(token));
  assert(tokens.list()[0].lastUsedAt !== null, "use is recorded");
});

Deno.test("tokens: tampered, truncated, unknown and deleted tokens are refused", async () => {
  const { tokens } = authFixture();
  const { token } = await tokens.create("ci", "viewer");
  const last = token.at(-1) === "A" ? "B" : "A";
  for (
    const bad of [
      "",
      token.slice(0, -1),
      token.slice(0, -1) + last,
      token.replace(/^bbt_[0-9a-f]{4}/, "bbt_ffff"),
      `${token} `,
      "x".repeat(10_000),
    ]
  ) {
    assertEquals(await tokens.verify(bad), null, bad);
  }
  assert(tokens.delete("ci"));
  assertEquals(await tokens.verify(token), null);
  assertEquals(tokens.delete("ci"), false);
});

Deno.test("tokens: BLOCKBOARD_TOKEN is one operator token", async () => {
  const { db } = authFixture();
  const tokens = new TokenStore(db, { envToken: ENV_TOKEN });
  assert(tokens.hasEnvToken);
  assert(tokens.hasAny());
  assertEquals(tokens.count(), 0);
  assertEquals(await tokens.verify(ENV_TOKEN), { name: "token:env", role: "operator" });
  assertEquals(await tokens.verify(ENV_TOKEN.slice(0, -1)), null);
  assertEquals(await tokens.verify(ENV_TOKEN + "x"), null);
});

Deno.test("tokens: a weak BLOCKBOARD_TOKEN is refused at start-up", () => {
  const { db } = authFixture();
  assertThrows(() => new TokenStore(db, { envToken: "short" }), Error, "at least 24");
  assertThrows(
    () => new TokenStore(db, { envToken: "has spaces in it but is long enough" }),
    Error,
  );
  assertEquals(new TokenStore(db, { envToken: "" }).hasAny(), false);
});

Deno.test("tokens: names are validated and unique", async () => {
  const { tokens } = authFixture();
  await assertRejects(() => tokens.create("--pivot", "viewer"), Error, "token name");
  await assertRejects(() => tokens.create("env", "viewer"), Error, "reserved");
  await tokens.create("ci", "viewer");
  await assertRejects(() => tokens.create("ci", "admin"), Error, "already exists");
  assertEquals(tokens.list().map((t) => t.role), ["viewer"]);
});
