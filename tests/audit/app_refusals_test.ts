/** Refused requests through the real app with the security layer on: folded, not one row each. */
import { assertEquals } from "@std/assert";
import { VM1, world } from "../support/app_world.ts";

Deno.test("app: a flood of unauthenticated POSTs is one audit row with a count and the domain", async () => {
  const w = await world();
  try {
    const path = `/api/v1/domains/${encodeURIComponent(VM1.name)}/disks/vda/pull`;
    for (let i = 0; i < 200; i++) {
      const res = await w.request(path, { json: {} });
      assertEquals(res.status, 401);
      await res.body?.cancel();
      w.clock.advance(100);
    }
    assertEquals(w.security.audit.pending, 1, "buffered, not written per request");
    const { entries } = w.security.audit.query({ result: "refused" });
    assertEquals(entries.length, 1);
    assertEquals(entries[0].count, 200);
    assertEquals(entries[0].action, `POST ${path}`);
    assertEquals(entries[0].domain, VM1.name);
    assertEquals(entries[0].user, "anonymous");
    assertEquals(entries[0].lastAt - entries[0].at, 199 * 100);
    assertEquals(w.security.audit.pending, 0);
  } finally {
    await w.cleanup();
  }
});
