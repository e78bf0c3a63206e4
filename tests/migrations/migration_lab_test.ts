/**
 * Live migration with storage between two namespaced lab hosts, through the API: a full copy of a
 * running TCG domain on a 2-layer qcow2 chain (progress within a second, the outcome on both
 * hosts, `qemu-img compare` of the source chain against the target image), an abort of a slow
 * one (the domain stays running on the source, the target keeps no file), and the pre-flight's
 * refusals (no pool over the disk's directory, an unreachable target).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import type { AppEnv } from "../../server/env.ts";
import { openLoopback } from "../../server/auth/middleware.ts";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import { migrationsApi } from "../../server/routes/migrations_api.ts";
import { migrationsUi } from "../../server/routes/migrations_ui.tsx";
import { MigrationService } from "../../server/migrations/service.ts";
import { MigrationHistory } from "../../server/migrations/history.ts";
import { openDatabase } from "../../server/db.ts";
import type { Migration } from "../../server/migrations/model.ts";
import { type LabHost, startLabHost } from "../lab/hosts.ts";
import { definePool } from "../lab/host_pool.ts";
import { uniqueName } from "../lab/lab.ts";
import { waitFor } from "../lab/wait.ts";
import { testRegistry } from "./registry_fixture.ts";

async function domState(host: LabHost, uuid: string): Promise<string | null> {
  const r = await host.virsh("domstate", "--domain", uuid);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Destroys and undefines a domain that moved to `host` (its files go with the lab host). */
async function removeMoved(host: LabHost, uuid: string): Promise<void> {
  await host.virsh("destroy", "--domain", uuid);
  await host.virsh("undefine", "--domain", uuid);
}

Deno.test({
  name: "live migration with storage between two lab hosts: full copy, abort, refusals",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using a = await startLabHost({ name: "bbm1", number: 11 });
    await using b = await startLabHost({ name: "bbm2", number: 12 });
    const db = openDatabase(":memory:");
    const registry = testRegistry([
      { name: "a", uri: a.uri },
      { name: "b", uri: b.uri },
      // Nothing listens there: the pre-flight finds out, then the registry knows it is down.
      { name: "gone", uri: "qemu+tcp://127.0.0.1:1/system" },
    ], db);
    const migrations = new MigrationService({ hosts: registry, history: new MigrationHistory(db) });
    const app = new Hono<AppEnv>();
    app.use(openLoopback()); // the local admin, as the app runs without credentials
    app.route("/api/v1", migrationsApi({ hosts: registry, migrations }));
    app.route("/ui", migrationsUi({ hosts: registry, migrations }));
    app.onError(errorHandler({ uri: a.uri }));
    const url = (host: string, name: string, rest: string) =>
      `/api/v1/hosts/${host}/domains/${encodeURIComponent(name)}/${rest}`;
    const post = (host: string, name: string, rest: string, body: unknown) =>
      app.request(url(host, name, rest), { method: "POST", body: JSON.stringify(body) });
    const current = async (host: string, name: string): Promise<Migration | null> =>
      (await (await app.request(url(host, name, "migration"))).json()).migration;
    const until = (host: string, name: string, phases: string[], timeoutMs = 90_000) =>
      waitFor(`migration of ${name} ${phases.join("|")}`, async () => {
        const m = await current(host, name);
        return m && phases.includes(m.phase) ? m : null;
      }, { timeoutMs, intervalMs: 100 });

    try {
      await using dom = await a.createDomain({
        name: uniqueName("bbmig-"),
        persistent: true,
        disks: [{ target: "vda", layers: 2 }],
      });
      const [top, base] = dom.disks[0].chain;
      const diskDir = top.slice(0, top.lastIndexOf("/"));

      await t.step("refused: no storage pool over the disk's directory on the target", async () => {
        const r = await post("a", dom.name, "migrate", { to: "b", storage: "all" });
        assertEquals(r.status, 409);
        const { error } = await r.json();
        assertMatch(error.message, /host b has no running storage pool over .*pool-define-as/);
        // The exact commands for b, runnable as they are.
        const c = `virsh -c ${b.uri}`;
        assertStringIncludes(
          error.message,
          `: ${c} pool-define-as --name vda --type dir --target ${diskDir} ; ` +
            `${c} pool-build --pool vda ; ${c} pool-start --pool vda`,
        );
        assertEquals(await domState(a, dom.uuid), "running");
      });

      await t.step("refused: unreachable targets, with a sentence", async () => {
        const probed = await post("a", dom.name, "migrate", { to: "gone", storage: "all" });
        assertEquals(probed.status, 409);
        assertMatch(
          (await probed.json()).error.message,
          /host gone (does not answer|is unreachable).*a migration needs both hosts answering/,
        );
        await waitFor(
          "the registry to know gone is down",
          () => Promise.resolve(registry.get("gone")!.reachable === false),
        );
        const known = await post("a", dom.name, "migrate", { to: "gone", storage: "all" });
        assertEquals(known.status, 409);
        assertMatch((await known.json()).error.message, /host gone is unreachable \(.+\)/);
        const bad = await post("a", dom.name, "migrate", { to: "b", storage: "some" });
        assertEquals(bad.status, 400);
      });

      await definePool(b, "bbmig-vda", diskDir);

      await t.step("full copy: progress within 1 s, lands on b, identical data", async () => {
        const started = Date.now();
        const r = await post("a", dom.name, "migrate", { to: "b", storage: "all" });
        assertEquals(r.status, 202);
        const { migration } = await r.json();
        assertEquals(migration.from, "a");
        assertEquals(migration.to, "b");
        assert(migration.command.includes("--copy-storage-all"));
        assert(migration.command.includes("--migrateuri tcp://10.77.12.2"));
        const copying = await until("a", dom.name, ["copying", "completed"]);
        assertEquals(copying.phase, "copying", "the page must see the migration copying");
        const seenAfter = Date.now() - started;
        assert(seenAfter <= 1500, `progress seen ${seenAfter} ms after the start`);
        const done = await until("a", dom.name, ["completed", "failed", "aborted"]);
        assertEquals(done.phase, "completed", done.message);
        assertMatch(done.message, /runs on b and is no longer defined on a/);
        assert(done.dataTotal > 0 && done.dataProcessed > 0, JSON.stringify(done));
        assertEquals(await domState(b, dom.uuid), "running");
        assertEquals(await domState(a, dom.uuid), null);
        const persistentOnB = await b.virsh("list", "--all", "--persistent", "--uuid");
        assert(persistentOnB.stdout.includes(dom.uuid));
        // Also readable under the target host once it landed there.
        assertEquals((await current("b", dom.name))?.id, done.id);
        // The source chain (still on a's disk) against the flattened image on b.
        const cmp = await a.exec("qemu-img", [
          "compare",
          "-U",
          "-f",
          "qcow2",
          "-F",
          "qcow2",
          top,
          b.localPath(top),
        ]);
        assertEquals(cmp.code, 0, cmp.stdout + cmp.stderr);
        assertMatch(cmp.stdout, /Images are identical/);
        const info = await b.exec("qemu-img", ["info", "-U", "-f", "qcow2", "--output=json", top]);
        assertEquals(JSON.parse(info.stdout)["backing-filename"], undefined);
        assert(base.startsWith(diskDir));
        await removeMoved(b, dom.uuid);
      });

      await using inc = await a.createDomain({
        name: uniqueName("bbmig-"),
        persistent: false,
        disks: [{ target: "vda", layers: 2 }],
      });

      await t.step("incremental: backing chain already on b, only the top travels", async () => {
        const [incTop, incBase] = inc.disks[0].chain;
        const dir = incTop.slice(0, incTop.lastIndexOf("/"));
        // The operator's part: the base image is already on b, at the same path, in a pool.
        await Deno.mkdir(b.localPath(dir), { recursive: true });
        await Deno.copyFile(a.localPath(incBase), b.localPath(incBase));
        await definePool(b, "bbmig-inc", dir);
        const r = await post("a", inc.name, "migrate", { to: "b", storage: "inc" });
        assertEquals(r.status, 202, await r.clone().text());
        const { migration } = await r.json();
        assert(migration.command.includes("--copy-storage-inc"));
        assert(!migration.command.includes("--persistent"), "a transient domain stays transient");
        const done = await until("a", inc.name, ["completed", "failed", "aborted"]);
        assertEquals(done.phase, "completed", done.message);
        assertEquals(await domState(b, inc.uuid), "running");
        assertEquals(await domState(a, inc.uuid), null);
        // blockboard made the top on b over the base (explicit formats), and it reads the same.
        const header = await b.exec("qemu-img", [
          "info",
          "-U",
          "-f",
          "qcow2",
          "--output=json",
          incTop,
        ]);
        assertEquals(JSON.parse(header.stdout)["backing-filename"], incBase);
        assertEquals(JSON.parse(header.stdout)["backing-filename-format"], "qcow2");
        const cmp = await a.exec("qemu-img", [
          "compare",
          "-U",
          "-f",
          "qcow2",
          "-F",
          "qcow2",
          incTop,
          `json:${
            JSON.stringify({
              driver: "qcow2",
              file: { driver: "file", filename: b.localPath(incTop) },
              backing: {
                driver: "qcow2",
                file: { driver: "file", filename: b.localPath(incBase) },
              },
            })
          }`,
        ]);
        assertEquals(cmp.code, 0, cmp.stdout + cmp.stderr);
        await removeMoved(b, inc.uuid);
      });

      await using slow = await a.createDomain({
        name: uniqueName("bbmig-"),
        persistent: true,
        disks: [{ target: "vda", layers: 2 }],
      });
      const slowTop = slow.disks[0].chain[0];
      await definePool(b, "bbmig-slow", slowTop.slice(0, slowTop.lastIndexOf("/")));

      await t.step("abort mid-migration: stays running on a, nothing left on b", async () => {
        const r = await post("a", slow.name, "migrate", {
          to: "b",
          storage: "all",
          bandwidthBytes: 1048576,
        });
        assertEquals(r.status, 202);
        assert((await r.json()).migration.command.includes("--bandwidth 1"));
        const moving = await waitFor("numbers of the throttled migration", async () => {
          const m = await current("a", slow.name);
          // The rate waits for QEMU's counter to move (a throttled copy counts in steps).
          return m && m.dataTotal > 0 ? m : null;
        }, { timeoutMs: 10_000, intervalMs: 200 });
        assertEquals(moving.phase, "copying");
        assertEquals(moving.stage, "disks");
        assert(moving.dataRemaining > 0 && moving.dataRemaining <= moving.dataTotal);
        const aborted = await post("a", slow.name, "migration/abort", {});
        assertEquals(aborted.status, 200);
        const { migration } = await aborted.json();
        assertEquals(migration.phase, "aborted", migration.message);
        assertMatch(migration.message, /stays on a, running/);
        assertEquals(await domState(a, slow.uuid), "running");
        assertEquals(await domState(b, slow.uuid), null);
        await b.virsh("pool-refresh", "--pool", "bbmig-slow");
        const left = await b.virsh("vol-list", "--pool", "bbmig-slow");
        assert(!left.stdout.includes(".qcow2"), `left on b: ${left.stdout}`);
        const again = await post("a", slow.name, "migration/abort", {});
        assertEquals(again.status, 409);
      });

      await t.step("the panel: Migrate form, progress card polled, Abort", async () => {
        const ui = `/ui/hosts/a/domains/${encodeURIComponent(slow.name)}`;
        const form = await app.request(`${ui}/migration`);
        assertEquals(form.status, 200);
        const formHtml = await form.text();
        assertMatch(formHtml, /class="migrate-form"/);
        assertMatch(formHtml, /<option value="b"\s+selected>b<\/option>/);
        assertMatch(
          formHtml,
          /<option value="gone" disabled\s*>gone \(unreachable: .+\)<\/option>/,
        );
        const refused = await app.request(`${ui}/migrate`, {
          method: "POST",
          body: new URLSearchParams({ to: "b", storage: "sideways" }),
        });
        assertEquals(refused.status, 400);
        assertMatch(
          await refused.text(),
          /role="alert">storage: must be &quot;all&quot; \(full copy\) or &quot;inc&quot;/,
        );
        const started = await app.request(`${ui}/migrate`, {
          method: "POST",
          body: new URLSearchParams({ to: "b", storage: "all", bandwidthMiB: "1" }),
        });
        assertEquals(started.status, 200);
        const card = await started.text();
        assertMatch(card, /hx-trigger="load delay:1s"/);
        assertMatch(card, /data-phase="(preparing|copying)"/);
        assertMatch(card, /Abort migration/);
        const polled = await waitFor("the card to show the disks' figures", async () => {
          const html = await (await app.request(`${ui}/migration`)).text();
          return /copying disks/.test(html) && /remaining \d/.test(html) ? html : null;
        }, { timeoutMs: 10_000, intervalMs: 250 });
        assertMatch(polled, /ETA /);
        assertMatch(polled, /dirty rate/);
        const aborted = await app.request(`${ui}/migration/abort`, { method: "POST" });
        assertEquals(aborted.status, 200);
        const after = await aborted.text();
        assertMatch(after, /data-phase="aborted"/);
        assertMatch(after, /stays on a, running/);
        assert(!after.includes("hx-trigger"), "polling stops");
        assertMatch(after, /class="migrate-form"/);
        assertEquals(await domState(a, slow.uuid), "running");
      });
    } finally {
      migrations.close();
      await registry.stop();
      db.close();
    }
  },
});
