import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { decideListen, isLoopbackHost } from "../../server/security/listen.ts";

Deno.test("listen: loopback addresses", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) {
    assert(isLoopbackHost(host), host);
  }
  for (
    const host of [
      "0.0.0.0",
      "::",
      "192.168.1.2",
      "10.0.0.1",
      "127.0.0.1.nip.io",
      "128.0.0.1",
      "127.0.0.256",
      "hv.lan",
    ]
  ) {
    assert(!isLoopbackHost(host), host);
  }
});

Deno.test("listen: open mode only on loopback without credentials", () => {
  assertEquals(decideListen("127.0.0.1", false), { start: true, openMode: true });
  assertEquals(decideListen("127.0.0.1", true), { start: true, openMode: false });
  assertEquals(decideListen("0.0.0.0", true), { start: true, openMode: false });
  const refused = decideListen("0.0.0.0", false);
  assert(!refused.start);
  assertStringIncludes(refused.message, "deno task user add NAME --role admin");
  assertStringIncludes(refused.message, "BLOCKBOARD_TOKEN");
});
