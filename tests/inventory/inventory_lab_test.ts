/**
 * The inventory against real libvirt: real domains, real chains, hostile names.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { Inventory } from "../../server/inventory/service.ts";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labDiskOnlySnapshot, labVirsh, waitFor } from "../lab/lab.ts";
import type { Domain } from "../../server/inventory/model.ts";
import { parseListUuidName } from "../../server/virsh/parse/list.ts";
import { labDomainXml } from "../lab/domain_xml.ts";
import { currentOwner } from "../lab/owner.ts";

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

  // The domain's page draws the same chain, active layer first.
  const html = await (await app.request(`/domains/${encodeURIComponent(dom.name)}`)).text();
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

Deno.test("kept by events: warm reads start no virsh; an event re-reads only its domain's XML", async () => {
  await using a = await createLabDomain({ disks: [{ target: "vda", layers: 3 }] });
  await using b = await createLabDomain({ disks: [{ target: "vda", layers: 2 }] });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const calls: string[][] = [];
  runner.onCall((r) => calls.push(r.argv.slice(2)));
  const services = createServices(runner, { monitor: { intervalMs: 250, resyncIntervalMs: 0 } });
  await services.monitor.start();
  try {
    const first = await services.inventory.listDomains();
    assert(first.some((d) => d.uuid === b.uuid));
    // Other tests' domains on this host send events too; those may re-read their own domains.
    const events: string[] = [];
    services.monitor.onEventLine((line) => events.push(line));
    const afterBuild = calls.length;
    for (let i = 0; i < 20; i++) {
      await services.inventory.listDomains();
      await services.inventory.getDomain(a.name);
      await services.inventory.resolve(b.uuid);
    }
    const warm = calls.slice(afterBuild);
    if (events.length === 0) assertEquals(warm, [], "warm reads start no virsh process");
    const ours = warm.filter((c) => c.includes(a.uuid) || c.includes(b.uuid));
    assertEquals(ours, [], "warm reads never re-read A or B");

    // A pull run with plain virsh: libvirt's block-job event marks domain A, and only A's XML is
    // read again.
    const mark = calls.length;
    const pulled = await labVirsh("blockpull", "--domain", a.uuid, "--path", "vda", "--wait");
    assertEquals(pulled.code, 0, pulled.stderr);
    const chain = await waitFor("the pulled chain", async () => {
      const d = await services.inventory.getDomain(a.uuid);
      return d && d.disks[0].chain.length === 1 ? d.disks[0].chain : null;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    assertEquals(chain.map((l) => l.path), [a.disks[0].chain[0]]);
    const dumps = calls.slice(mark).filter((c) => c[0] === "dumpxml").map((c) => c.at(-1));
    assert(dumps.includes(a.uuid), dumps.join(" "));
    assert(!dumps.includes(b.uuid), "B's XML is not read again");
  } finally {
    await services.monitor.stop();
  }
});

Deno.test("kept without events: a chain changed behind its back is found by the periodic refresh", async () => {
  await using a = await createLabDomain({ disks: [{ target: "vda", layers: 3 }] });
  await using b = await createLabDomain({ disks: [{ target: "vda", layers: 2 }] });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const calls: string[][] = [];
  runner.onCall((r) => calls.push(r.argv.slice(2)));
  const inventory = new Inventory(runner, { refreshMs: 300 });
  assertEquals((await inventory.getDomain(a.uuid))?.disks[0].chain.length, 3);
  const pulled = await labVirsh("blockpull", "--domain", a.uuid, "--path", "vda", "--wait");
  assertEquals(pulled.code, 0, pulled.stderr);
  const mark = calls.length;
  // Within refreshMs the snapshot answers as it was; after it, a read starts a refresh that
  // compares disk paths from one bulk domstats and re-reads A's XML alone.
  assertEquals((await inventory.getDomain(a.uuid))?.disks[0].chain.length, 3);
  const chain = await waitFor("the refreshed chain", async () => {
    const d = await inventory.getDomain(a.uuid);
    return d && d.disks[0].chain.length === 1 ? d.disks[0].chain : null;
  }, { timeoutMs: 10_000, intervalMs: 100 });
  assertEquals(chain.length, 1);
  const dumps = calls.slice(mark).filter((c) => c[0] === "dumpxml").map((c) => c.at(-1));
  assert(dumps.includes(a.uuid), dumps.join(" "));
  assert(!dumps.includes(b.uuid), "B's chain did not change: its XML is not read again");
  assert((await inventory.getDomain(b.uuid))?.disks[0].chain.length === 2);
});

Deno.test("kept by events: a domain defined, then undefined with plain virsh, is listed and gone within 2 s", async () => {
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { monitor: { intervalMs: 250, resyncIntervalMs: 0 } });
  await services.monitor.start();
  const dir = await Deno.makeTempDir({ prefix: "bb-define-" });
  const uuid = crypto.randomUUID();
  const name = `bbdef-${uuid.slice(0, 8)}`;
  try {
    await services.inventory.listDomains();
    // The event listener prints nothing until its first event: give it a moment to connect.
    await new Promise((r) => setTimeout(r, 1000));
    const xml = labDomainXml({
      name,
      uuid,
      disks: [{ target: "vda", format: "qcow2", source: `${dir}/a.qcow2` }],
      owner: currentOwner("test", dir),
    });
    await Deno.writeTextFile(`${dir}/d.xml`, xml);
    assertEquals((await labVirsh("define", "--file", `${dir}/d.xml`)).code, 0);
    const listed = await waitFor("the defined domain on the list", async () => {
      const ds = await services.inventory.listDomains();
      return ds.find((d) => d.uuid === uuid) ?? null;
    }, { timeoutMs: 2_000, intervalMs: 100 });
    assertEquals([listed.name, listed.state, listed.persistent], [name, "shut off", true]);
    assertEquals((await labVirsh("undefine", "--domain", uuid)).code, 0);
    await waitFor("the undefined domain gone", async () => {
      const ds = await services.inventory.listDomains();
      return ds.some((d) => d.uuid === uuid) ? null : true;
    }, { timeoutMs: 2_000, intervalMs: 100 });
  } finally {
    await labVirsh("undefine", "--domain", uuid);
    await services.monitor.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kept by events: a disk-only snapshot made with plain virsh (no libvirt event) shows within 2 s", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 2 }] });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { monitor: { intervalMs: 250, resyncIntervalMs: 0 } });
  await services.monitor.start();
  try {
    assertEquals((await services.inventory.getDomain(dom.uuid))?.disks[0].chain.length, 2);
    // The QEMU event listener prints nothing until its first event: give it a moment.
    await new Promise((r) => setTimeout(r, 1000));
    const overlay = `${dom.dir}/vda/overlay.qcow2`;
    const made = await labDiskOnlySnapshot(dom.uuid, "vda", overlay);
    assertEquals(made.code, 0, made.stderr);
    const chain = await waitFor("the overlay on top of the chain", async () => {
      const d = await services.inventory.getDomain(dom.uuid);
      return d && d.disks[0].chain.length === 3 ? d.disks[0].chain : null;
    }, { timeoutMs: 2_000, intervalMs: 100 });
    assertEquals(chain[0].path, overlay);
  } finally {
    await services.monitor.stop();
  }
});
