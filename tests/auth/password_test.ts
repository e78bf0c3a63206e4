import { assert, assertEquals, assertMatch, assertNotEquals, assertRejects } from "@std/assert";
import {
  DEFAULT_PBKDF2_ITERATIONS,
  hashIterations,
  hashPassword,
  verifyPassword,
} from "../../server/auth/password.ts";
import { TEST_ITERATIONS } from "./fixture.ts";

Deno.test("hashPassword defaults to PBKDF2-SHA256 with at least 600k iterations and a 16-byte salt", async () => {
  assert(DEFAULT_PBKDF2_ITERATIONS >= 600_000);
  const encoded = await hashPassword("correct horse");
  assertMatch(encoded, /^pbkdf2-sha256\$600000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const salt = atob(encoded.split("$")[2]);
  assertEquals(salt.length, 16);
  assertEquals(atob(encoded.split("$")[3]).length, 32);
  assert(await verifyPassword("correct horse", encoded));
});

Deno.test("hashes of the same password differ (random salt) and both verify", async () => {
  const a = await hashPassword("same password", { iterations: TEST_ITERATIONS });
  const b = await hashPassword("same password", { iterations: TEST_ITERATIONS });
  assertNotEquals(a, b);
  assert(await verifyPassword("same password", a));
  assert(await verifyPassword("same password", b));
  assertEquals(hashIterations(a), TEST_ITERATIONS);
});

Deno.test("verifyPassword rejects wrong passwords and malformed or tampered hashes", async () => {
  const encoded = await hashPassword("secret-one", { iterations: TEST_ITERATIONS });
  assertEquals(await verifyPassword("secret-onE", encoded), false);
  assertEquals(await verifyPassword("", encoded), false);
  const [scheme, iterations, salt, hash] = encoded.split("$");
  for (
    const bad of [
      "",
      "plain",
      `md5$${iterations}$${salt}$${hash}`,
      `${scheme}$0$${salt}$${hash}`,
      `${scheme}$-5$${salt}$${hash}`,
      `${scheme}$99999999999$${salt}$${hash}`,
      `${scheme}$${iterations}$${salt}$${hash.slice(0, 10)}`,
      `${scheme}$${iterations}$!!!$${hash}`,
      `${scheme}$${Number(iterations) + 1}$${salt}$${hash}`,
      `${encoded}$extra`,
    ]
  ) {
    assertEquals(await verifyPassword("secret-one", bad), false, bad);
  }
});

Deno.test("hashPassword refuses absurd iteration counts", async () => {
  await assertRejects(() => hashPassword("x", { iterations: 0 }), RangeError, "iterations");
  await assertRejects(() => hashPassword("x", { iterations: 1.5 }), RangeError, "iterations");
});
