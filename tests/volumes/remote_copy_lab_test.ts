/**
 * Copies into storage-pool volumes on a namespaced lab host (a host whose files blockboard cannot
 * stat), through the real app: a path destination is refused with a sentence; a shallow copy into
 * a new qcow2 volume reaches ready and pivots (the volume's header names the right format and
 * backing, read with an explicit -f and -U); a throttled full copy into a raw volume aborted
 * before ready leaves no volume behind.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { startLabHost } from "../lab/hosts.ts";
import { uniqueName } from "../lab/lab.ts";
import { waitFor } from "../lab/wait.ts";
import { startDirPool } from "./lab_pool.ts";

Deno.test({
  name: "remote host: copies into new pool volumes (shallow to ready + pivot, abort cleans up)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using host = await startLabHost({ name: "bbm3", number: 13 });
    const poolDir = "/var/lib/libvirt/images/bbmig-copies";
    await startDirPool(host, "bbmig-copies", poolDir);
    await using dom = await host.createDomain({
      name: uniqueName("bbmig-"),
      persistent: true,
      disks: [{ target: "vda", layers: 2 }],
    });
    const [top, base] = dom.disks[0].chain;
    const runner = new SpawnRunner({ uri: host.uri });
    const services = createServices(runner, { inventoryCacheMs: 0, monitor: { intervalMs: 250 } });
    await services.monitor.start();
    const app = createApp(services);
    const disk = `/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vda`;
    const post = (path: string, body: unknown) =>
      app.request(`${disk}${path}`, { method: "POST", body: JSON.stringify(body) });
    const phase = (wanted: string[]) =>
      waitFor(`job ${wanted.join("|")}`, async () => {
        const { job } = await (await app.request(`${disk}/job`)).json();
        return job && wanted.includes(job.phase) ? job : null;
      }, { timeoutMs: 60_000, intervalMs: 200 });
    const volumes = async () => {
      await host.virsh("pool-refresh", "--pool", "bbmig-copies");
      return (await host.virsh("vol-list", "--pool", "bbmig-copies")).stdout;
    };
    try {
      await t.step("a path destination on a remote host is refused with a sentence", async () => {
        const r = await post("/copy", { dest: `${poolDir}/x.qcow2`, format: "qcow2" });
        assertEquals(r.status, 400);
        assertMatch(
          (await r.json()).error.message,
          /cannot check files on qemu\+tcp:\/\/10\.77\.13\.2\/system; copy into a new volume/,
        );
        const both = await post("/copy", { dest: "/x", pool: "bbmig-copies", volume: "x" });
        assertEquals(both.status, 400);
        const half = await post("/copy", { pool: "bbmig-copies" });
        assertEquals(half.status, 400);
        assertMatch((await half.json()).error.message, /^volume: is required/);
        assert(!(await volumes()).includes("x"));
      });

      await t.step("shallow copy over a backing file no pool holds: refused", async () => {
        const r = await post("/copy", { pool: "bbmig-copies", volume: "s.qcow2", shallow: true });
        assertEquals(r.status, 400);
        assertMatch((await r.json()).error.message, /is not a volume of any running storage pool/);
        assert(!(await volumes()).includes("s.qcow2"));
      });
      // As an operator would: the domain's own directory becomes a pool.
      await startDirPool(host, "bbmig-src", `${dom.dir}/vda`, { build: false });

      await t.step("shallow copy into a new qcow2 volume: ready, header right, pivot", async () => {
        const r = await post("/copy", {
          pool: "bbmig-copies",
          volume: "shallow.qcow2",
          shallow: true,
        });
        assertEquals(r.status, 202, await r.clone().text());
        const path = `${poolDir}/shallow.qcow2`;
        assertEquals((await r.json()).job.dest, path);
        await phase(["ready"]);
        const info = await host.exec("qemu-img", [
          "info",
          "-U",
          "-f",
          "qcow2",
          "--output=json",
          path,
        ]);
        assertEquals(info.code, 0, info.stderr);
        const header = JSON.parse(info.stdout);
        assertEquals(header.format, "qcow2");
        assertEquals(header["virtual-size"], 64 * 1048576);
        assertEquals(header["backing-filename"], base);
        assertEquals(header["backing-filename-format"], "qcow2");
        const pivot = await post("/job/pivot", {});
        assertEquals(pivot.status, 200);
        assertEquals((await pivot.json()).job.phase, "pivoted");
        const xml = await host.virsh("dumpxml", "--domain", dom.uuid);
        assert(xml.stdout.includes(`<source file='${path}'`), "the domain runs on the volume");
        assert(top !== path);
      });

      await t.step(
        "throttled full copy into a raw volume, aborted before ready: volume deleted",
        async () => {
          const r = await post("/copy", {
            pool: "bbmig-copies",
            volume: "full.raw",
            format: "raw",
            bandwidthBytes: 1048576,
          });
          assertEquals(r.status, 202, await r.clone().text());
          assert((await volumes()).includes("full.raw"));
          const info = await host.exec("qemu-img", [
            "info",
            "-U",
            "-f",
            "raw",
            "--output=json",
            `${poolDir}/full.raw`,
          ]);
          assertEquals(JSON.parse(info.stdout)["virtual-size"], 64 * 1048576);
          const aborted = await post("/job/abort", {});
          assertEquals(aborted.status, 200);
          assertEquals((await aborted.json()).job.phase, "canceled");
          await waitFor(
            "the aborted copy's volume to be deleted",
            async () => !(await volumes()).includes("full.raw"),
            { timeoutMs: 5_000, intervalMs: 250 },
          );
          assert((await volumes()).includes("shallow.qcow2"), "the pivoted volume stays");
        },
      );

      await t.step(
        "the page's copy form asks for a pool and a volume; Start and Abort",
        async () => {
          const page = await (await app.request(`/domains/${encodeURIComponent(dom.name)}`)).text();
          assertMatch(page, /data-volume-copy/);
          assertMatch(page, /<option value="bbmig-copies">bbmig-copies<\/option>/);
          assert(!page.includes('name="dest"'), "no path field on a remote host");
          const ui = `/ui/domains/${dom.uuid}/disks/vda`;
          const byPath = await app.request(`${ui}/copy`, {
            method: "POST",
            body: new URLSearchParams({ dest: `${poolDir}/p.qcow2`, format: "qcow2" }),
          });
          assertEquals(byPath.status, 400);
          assertMatch(await byPath.text(), /cannot check files on qemu\+tcp/);
          const started = await app.request(`${ui}/copy`, {
            method: "POST",
            body: new URLSearchParams({
              pool: "bbmig-copies",
              volume: "form.qcow2",
              format: "qcow2",
              bandwidthMiB: "1",
            }),
          });
          assertEquals(started.status, 200, await started.clone().text());
          const disk = await started.text();
          assertMatch(disk, /blockcopy .*--reuse-external/);
          assertMatch(disk, /form\.qcow2/);
          assert((await volumes()).includes("form.qcow2"));
          const aborted = await app.request(`${ui}/job/abort`, { method: "POST" });
          assertEquals(aborted.status, 200);
          await waitFor(
            "the form's aborted copy volume to be deleted",
            async () => !(await volumes()).includes("form.qcow2"),
            { timeoutMs: 5_000, intervalMs: 250 },
          );
        },
      );
    } finally {
      await services.monitor.stop();
      await runner.close();
    }
  },
});
