/**
 * The inventory against real libvirt: real domains, real chains, hostile names.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labVirsh } from "../lab/lab.ts";
import type { Domain } from "../../server/inventory/model.ts";
import { parseListUuidName } from "../../server/virsh/parse/list.ts";

function realApp() {
  const runner = new SpawnRunner({ uri: LAB_URI });
  return {
    runner,
    app: createApp(
      createServices(runner, { inventoryCacheMs: 0, monitor: { sampling: false, events: false } }),
    ),
  };
}

Deno.test("a running domain's chain is listed top to base with formats and sizes", async () => {
  await using dom = await createLabDomain({
    disks: [
      { target: "vda", format: "qcow2", layers: 3, sizeMiB: 64 },
      { target: "vdb", format: "raw", sizeMiB: 16 },
    ],
  });
  const { app } = realApp();
  const res = await app.request(`/api/v1/domains/${encodeURIComponent(dom.name)}`);
  assertEquals(res.status, 200);
  const { domain } = await res.json() as { domain: Domain };
  assertEquals(domain.name, dom.name);
  assertEquals(domain.uuid, dom.uuid);
  assertEquals(domain.state, "running");
  assertEquals(domain.persistent, false);
  const vda = domain.disks.find((d) => d.target === "vda")!;
  assertEquals(vda.chain.map((l) => l.path), dom.disks[0].chain);
  assertEquals(vda.chain.map((l) => l.format), ["qcow2", "qcow2", "qcow2"]);
  assertEquals(vda.source, dom.disks[0].chain[0]);
  assertEquals(vda.format, "qcow2");
  assertEquals(vda.device, "disk");
  assertEquals(vda.type, "file");
  for (const layer of vda.chain) {
    assertEquals(layer.capacity, 64 * 1024 * 1024, layer.path);
    assert(layer.allocation !== null && layer.allocation > 0, `allocation of ${layer.path}`);
    assert(layer.index !== null);
  }
  const vdb = domain.disks.find((d) => d.target === "vdb")!;
  assertEquals(vdb.format, "raw");
  assertEquals(vdb.chain.length, 1);
  assertEquals(vdb.chain[0].capacity, 16 * 1024 * 1024);
  assertEquals(vdb.job, null);

  const listed = await (await app.request("/api/v1/domains")).json() as { domains: Domain[] };
  const same = listed.domains.find((d) => d.uuid === dom.uuid)!;
  assertEquals(same.disks.map((d) => d.chain.map((l) => l.path)), [
    dom.disks[0].chain,
    dom.disks[1].chain,
  ]);

  // The page draws the same chain, active layer first.
  const html = await (await app.request("/")).text();
  const positions = dom.disks[0].chain.map((p) => html.indexOf(`data-path="${p}"`));
  assert(positions.every((p) => p > 0), "every layer is on the page");
  assertEquals([...positions].sort((a, b) => a - b), positions);
});

Deno.test("persistent and shut-off domains appear as such", async () => {
  await using running = await createLabDomain({ persistent: true });
  await using off = await createLabDomain({ persistent: true, running: false });
  const { app } = realApp();
  const { domains } = await (await app.request("/api/v1/domains")).json() as { domains: Domain[] };
  const r = domains.find((d) => d.uuid === running.uuid)!;
  const o = domains.find((d) => d.uuid === off.uuid)!;
  assertEquals([r.state, r.persistent], ["running", true]);
  assertEquals([o.state, o.persistent], ["shut off", true]);
  assertEquals(o.disks[0].source, off.disks[0].chain[0]);
  const html = await (await app.request("/")).text();
  assertStringIncludes(html, "shut off");
});

Deno.test("hostile names are listed, escaped and reachable through API and page", async () => {
  const names = ["--pivot", "a b", "it's", "<img src=x onerror=alert(1)>", "12"];
  const doms = [];
  try {
    for (const name of names) {
      // A leftover from an aborted run would make the name clash; remove it by UUID (a numeric
      // name given to virsh would be read as a domain id).
      const listed = parseListUuidName(
        (await labVirsh("list", "--all", "--uuid", "--name")).stdout,
      );
      for (const stale of listed.filter((d) => d.name === name)) {
        await labVirsh("destroy", "--domain", stale.uuid);
        await labVirsh("undefine", "--domain", stale.uuid);
      }
      doms.push(
        await createLabDomain({
          name,
          persistent: true,
          running: name !== "12",
          disks: [{ target: "vda", layers: 2 }],
        }),
      );
    }
    const { app, runner } = realApp();
    const { domains } = await (await app.request("/api/v1/domains")).json() as {
      domains: Domain[];
    };
    for (const dom of doms) {
      const listed = domains.find((d) => d.uuid === dom.uuid);
      assertEquals(listed?.name, dom.name);
      const res = await app.request(`/api/v1/domains/${encodeURIComponent(dom.name)}`);
      assertEquals(res.status, 200, dom.name);
      const one = (await res.json()).domain as Domain;
      assertEquals(one.uuid, dom.uuid, `${dom.name} resolves to its own UUID`);
      assertEquals(one.disks[0].source, dom.disks[0].chain[0]);
      const page = await app.request(`/domains/${encodeURIComponent(dom.name)}`);
      assertEquals(page.status, 200, dom.name);
      const html = await page.text();
      assertStringIncludes(html, dom.disks[0].chain[0]);
    }
    const html = await (await app.request("/")).text();
    assert(!html.includes("<img src=x onerror=alert(1)>"), "the name must not be live markup");
    assertStringIncludes(html, "&lt;img src=x onerror=alert(1)&gt;");
    assertStringIncludes(html, "it&#39;s");
    // Every virsh call named domains by UUID or through list/domstats: no hostile name in any argv.
    let leaked = false;
    runner.onCall((r) => {
      if (names.some((n) => r.argv.includes(n))) leaked = true;
    });
    for (const dom of doms) await app.request(`/api/v1/domains/${encodeURIComponent(dom.name)}`);
    assertEquals(leaked, false);
  } finally {
    for (const d of doms) await d.destroy();
  }
});
