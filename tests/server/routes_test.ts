import { assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import {
  domStatsInventoryArgs,
  dumpXmlArgs,
  listAllArgs,
  listPersistentArgs,
} from "../../server/virsh/commands.ts";

/** The app over a scripted runner; `fresh` rebuilds the inventory on every read. */
function appWith(runner: FakeRunner, fresh = true) {
  return createApp(
    createServices(runner, {
      ...(fresh ? { inventoryCacheMs: 0 } : {}),
      monitor: { sampling: false, events: false },
    }),
  );
}

Deno.test("names libvirt could never hold are refused with 400 before any virsh call", async () => {
  const runner = new FakeRunner();
  const app = appWith(runner);
  const bad = [
    encodeURIComponent("a/b"),
    "%00",
    "x%0Ay",
    encodeURIComponent("x".repeat(256)),
    encodeURIComponent("é".repeat(128)), // 256 bytes
  ];
  for (const name of bad) {
    for (const path of [`/api/v1/domains/${name}`, `/domains/${name}`]) {
      const res = await app.request(path);
      assertEquals(res.status, 400, path);
      if (path.startsWith("/api/")) {
        const body = await res.json();
        assertEquals(body.error.code, "invalid_input");
      } else {
        assertStringIncludes(await res.text(), "400");
      }
    }
  }
  assertEquals(runner.calls, []);
});

Deno.test("an unknown domain is a 404 with the error JSON", async () => {
  const runner = new FakeRunner((args) =>
    args[0] === "list"
      ? {
        stdout: args.includes("--persistent")
          ? "\n"
          : "aa68f1a8-4c28-48b2-b9a5-fac44073a887 vm1\n\n",
      }
      : { stdout: "" }
  );
  const res = await appWith(runner).request("/api/v1/domains/nope");
  assertEquals(res.status, 404);
  const body = await res.json();
  assertEquals(body.error.code, "not_found");
  assertStringIncludes(body.error.message, "nope");
});

Deno.test("libvirt down: API answers 503, page shows a banner, healthz reports unreachable", async () => {
  const runner = new FakeRunner(() => ({
    fail: "unreachable",
    stderr:
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n",
  }));
  const app = appWith(runner);
  const api = await app.request("/api/v1/domains");
  assertEquals(api.status, 503);
  assertEquals((await api.json()).error.code, "libvirt_unavailable");
  const page = await app.request("/");
  assertEquals(page.status, 503);
  const html = await page.text();
  assertStringIncludes(html, "libvirt unavailable.");
  assertStringIncludes(html, "libvirtd -d");
  const health = await app.request("/healthz");
  assertEquals(health.status, 200);
  const h = await health.json();
  assertEquals(h.status, "ok");
  assertEquals(h.libvirt.reachable, false);
  assertEquals(h.libvirt.uri, "qemu:///fake");
});

Deno.test("a virsh call that times out is reported as unavailable, and the next request recovers", async () => {
  let down = true;
  const runner = new FakeRunner((args) => {
    if (down) return { fail: "timeout" };
    return args[0] === "list" ? { stdout: "\n" } : { stdout: "" };
  });
  const app = appWith(runner);
  assertEquals((await app.request("/api/v1/domains")).status, 503);
  down = false;
  const res = await app.request("/api/v1/domains");
  assertEquals(res.status, 200);
  assertEquals(await res.json(), { domains: [] });
});

Deno.test("htmx is served from our own origin", async () => {
  const res = await appWith(new FakeRunner()).request("/static/htmx.min.js");
  assertEquals(res.status, 200);
  assertStringIncludes(res.headers.get("content-type") ?? "", "javascript");
  assertStringIncludes(await res.text(), "htmx");
  assertEquals((await appWith(new FakeRunner()).request("/static/..%2Fdeno.json")).status, 404);
});

Deno.test("unknown API routes answer with the error JSON", async () => {
  const res = await appWith(new FakeRunner()).request("/api/v1/nothing");
  assertEquals(res.status, 404);
  assertEquals((await res.json()).error.code, "not_found");
});

const UUID = "aa68f1a8-4c28-48b2-b9a5-fac44073a887";
const XML = `<domain type='qemu'><name>vm1</name><uuid>${UUID}</uuid><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='/i/a.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
/** A host with one domain, as the inventory snapshot reads it. */
const oneDomain = (args: readonly string[]) =>
  args[0] === "list"
    ? { stdout: args.includes("--persistent") ? "\n" : `${UUID} vm1\n\n` }
    : args[0] === "dumpxml"
    ? { stdout: XML }
    : { stdout: "" };
/** The snapshot's reads: listing, persistence, one bulk domstats, the domain's XML. */
const SNAPSHOT_READS = [
  listAllArgs(),
  listPersistentArgs(),
  domStatsInventoryArgs(),
  dumpXmlArgs(UUID),
];

Deno.test("polling a job through the API reads memory: one inventory snapshot, then no virsh calls", async () => {
  const runner = new FakeRunner(oneDomain);
  const app = appWith(runner, false);
  for (let i = 0; i < 20; i++) {
    const res = await app.request("/api/v1/domains/vm1/disks/vda/job");
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { job: null });
  }
  assertEquals(runner.calls, SNAPSHOT_READS);
});

Deno.test("reading the job of a disk the domain does not have is a 404, like the POSTs", async () => {
  const runner = new FakeRunner(oneDomain);
  const app = appWith(runner, false);
  for (let i = 0; i < 5; i++) {
    const res = await app.request("/api/v1/domains/vm1/disks/vdz/job");
    assertEquals(res.status, 404);
    const body = await res.json();
    assertEquals(body.error.code, "not_found");
    assertEquals(body.error.message, "domain vm1 has no disk vdz");
  }
  // The known disk still answers, from the same snapshot.
  assertEquals((await app.request("/api/v1/domains/vm1/disks/vda/job")).status, 200);
  assertEquals(runner.calls, SNAPSHOT_READS);
});
