import { assert, assertEquals, assertMatch } from "@std/assert";
import { randomToken, sha256Hex, timingSafeEqual } from "../../server/security/secrets.ts";

Deno.test("timingSafeEqual: equal only for identical bytes", () => {
  assert(timingSafeEqual("abc", "abc"));
  assert(timingSafeEqual("", ""));
  assert(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])));
  assert(!timingSafeEqual("abc", "abd"), "last byte differs");
  assert(!timingSafeEqual("abc", "xbc"), "first byte differs");
  assert(!timingSafeEqual("abc", "ab"), "prefix");
  assert(!timingSafeEqual("ab", "abc"), "longer");
  assert(!timingSafeEqual("ab\0", "ab"), "trailing NUL is not a prefix match");
  assert(!timingSafeEqual("é", "e"));
});

Deno.test("timingSafeEqual has no early exit: the loop visits every byte", () => {
  // A short-circuiting compare reads fewer bytes when the first differs; count the reads.
  let reads = 0;
  const counting = (bytes: number[]) =>
    new Proxy(new Uint8Array(bytes), {
      get(target, key) {
        if (typeof key === "string" && /^\d+$/.test(key)) reads++;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  timingSafeEqual(counting([9, 2, 3, 4]), counting([1, 2, 3, 4]));
  const firstDiffers = reads;
  reads = 0;
  timingSafeEqual(counting([1, 2, 3, 9]), counting([1, 2, 3, 4]));
  assertEquals(firstDiffers, 8);
  assertEquals(reads, 8);
});

Deno.test("secret checks go through timingSafeEqual, never ===", async () => {
  // Pins that the modules comparing secrets use the constant-time helper.
  const files = {
    "server/auth/password.ts": /timingSafeEqual\(candidate, parsed\.hash\)/,
    "server/auth/tokens.ts": /timingSafeEqual\(presentedHash, row\.secret_hash\)/,
    "server/security/csrf.ts": /timingSafeEqual\(presented, expected\)/,
  };
  for (const [file, pattern] of Object.entries(files)) {
    const source = await Deno.readTextFile(new URL(`../../${file}`, import.meta.url));
    assertMatch(source, pattern, file);
    assert(
      !/(hash|token|presented|expected|secret)\w*\s*[!=]==\s*\w*(hash|token|presented|expected|secret)/i
        .test(source),
      file,
    );
  }
});

Deno.test("randomToken and sha256Hex", async () => {
  assertMatch(randomToken(32), /^[A-Za-z0-9_-]{43}$/);
  assert(randomToken() !== randomToken());
  assertEquals(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
