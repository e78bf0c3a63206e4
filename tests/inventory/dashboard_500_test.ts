/**
 * The dashboard at 500 domains, behind the real app and the product's runner (a session pool on
 * libvirt's test driver): the page stays under 300 KB, lists every domain in natural order, the
 * filters narrow it, and a warm `GET /` makes no virsh call at all.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { stateOfIndex, writeTestNode } from "./test_node.ts";

const rowNames = (html: string) =>
  [...html.matchAll(/<tr data-domain="([^"]*)"/g)].map((m) => m[1]);

Deno.test("500 domains: small page, natural order, filters, and a warm GET / makes no virsh call", async () => {
  await using node = await writeTestNode(500);
  const spawn = new SpawnRunner({ uri: node.uri });
  const runner = new SessionPoolRunner({ spawn, size: 2 });
  let calls = 0;
  runner.onCall(() => calls++);
  const app = createApp(createServices(runner));
  try {
    const cold = await app.request("/");
    assertEquals(cold.status, 200);
    await cold.text();
    assert(calls > 0, "the cold page read the inventory");

    const before = { calls, spawned: spawn.spawned, sessions: runner.started };
    const warm = await app.request("/");
    const html = await warm.text();
    assertEquals(
      { calls, spawned: spawn.spawned, sessions: runner.started },
      before,
      "a warm GET / starts no virsh process and runs no virsh command",
    );
    const bytes = new TextEncoder().encode(html).length;
    assert(bytes < 300 * 1024, `the page is ${bytes} bytes`);
    const names = rowNames(html);
    assertEquals(names.length, 500);
    assertEquals(names.slice(0, 12), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => `vm-${i}`));
    assertEquals(names.at(-1), "vm-500");
    assert(!html.includes("/preview/"), "no preview request on the dashboard");
    assert(!html.includes('class="chain"'), "chains are on the domain pages");

    // Filters, as a plain GET and as htmx asks for the list alone.
    const paused = rowNames(await (await app.request("/?q=VM-1&state=paused&job=")).text());
    const expected = Array.from({ length: 500 }, (_, k) => k + 1)
      .filter((i) => String(i).startsWith("1") && stateOfIndex(i) === "paused")
      .map((i) => `vm-${i}`);
    assertEquals(paused, expected);
    const partial = await app.request("/?q=vm-49&state=&job=no", {
      headers: {
        "HX-Request": "true",
        "HX-Request-Type": "partial",
        "HX-Target": "section#domain-results",
      },
    });
    const fragment = await partial.text();
    assert(!fragment.includes("<html"), "htmx gets the list alone");
    assertEquals(rowNames(fragment), [
      "vm-49",
      "vm-490",
      "vm-491",
      "vm-492",
      "vm-493",
      "vm-494",
      "vm-495",
      "vm-496",
      "vm-497",
      "vm-498",
      "vm-499",
    ]);
    assertEquals(rowNames(await (await app.request("/?job=yes")).text()), []);
    assertEquals(calls, before.calls, "filtering reads no virsh either");

    const bad = await app.request("/?state=on", { headers: { Accept: "text/html" } });
    assertEquals(bad.status, 400);
    assertStringIncludes(await bad.text(), "Bad filter: the state must be one of");

    // The domain page keeps the chain (the test driver reports it from the XML).
    const one = await (await app.request("/domains/vm-2")).text();
    assertStringIncludes(one, 'class="chain"');
    assertStringIncludes(one, "/var/lib/libvirt/images/bbtest/vm-2/base.qcow2");
  } finally {
    await runner.close();
  }
});
