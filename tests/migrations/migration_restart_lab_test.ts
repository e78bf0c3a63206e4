/**
 * A migration across a blockboard restart, between two namespaced lab hosts: a slow (1 MiB/s)
 * migration is running when the service stops the way a crash does (its virsh migrate killed,
 * nothing recorded); what libvirt then does is checked (the half-made domain on the target is
 * gone, the source's job stalls); a new service over the same database settles it at start-up
 * (aborted, with the sentence, the domain running on the source, nothing left on the target)
 * and shows it through the API and the panel. Then a graceful shutdown during a migration:
 * aborted cleanly, recorded and audited, nothing left for the next start.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Hono } from "hono";
import type { AppEnv } from "../../server/env.ts";
import { openLoopback } from "../../server/auth/middleware.ts";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import { migrationsApi } from "../../server/routes/migrations_api.ts";
import { migrationsUi } from "../../server/routes/migrations_ui.tsx";
import { jobsApi } from "../../server/routes/jobs_api.ts";
import { MigrationService } from "../../server/migrations/service.ts";
import { MigrationHistory } from "../../server/migrations/history.ts";
import { openDatabase } from "../../server/db.ts";
import type { AuditInput } from "../../server/audit/entry.ts";
import type { Migration } from "../../server/migrations/model.ts";
import { type LabHost, startLabHost } from "../lab/hosts.ts";
import { uniqueName } from "../lab/lab.ts";
import { waitFor } from "../lab/wait.ts";
import { testRegistry } from "./registry_fixture.ts";
import { definePool } from "../lab/host_pool.ts";

async function domState(host: LabHost, uuid: string): Promise<string | null> {
  const r = await host.virsh("domstate", "--domain", uuid);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** The source's job as virsh shows it (`Outgoing migration` while one runs). */
async function jobOn(host: LabHost, uuid: string): Promise<string> {
  return (await host.virsh("domjobinfo", "--domain", uuid)).stdout;
}

Deno.test({
  name: "a migration across a restart and a graceful shutdown: settled, recorded, shown",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using a = await startLabHost({ name: "bbr1", number: 41 });
    await using b = await startLabHost({ name: "bbr2", number: 42 });
    const dataDir = await Deno.makeTempDir({ prefix: "bbmr-db-" });
    const specs = [{ name: "a", uri: a.uri }, { name: "b", uri: b.uri }];
    /** One blockboard process: registry, migration service, routes, over the database dir. */
    const blockboard = (audit: AuditInput[] = []) => {
      const db = openDatabase(dataDir);
      const registry = testRegistry(specs, db);
      const migrations = new MigrationService({
        hosts: registry,
        history: new MigrationHistory(db),
        audit: { record: (e) => audit.push(e) },
      });
      const app = new Hono<AppEnv>();
      app.use(openLoopback());
      app.route("/api/v1", migrationsApi({ hosts: registry, migrations }));
      app.route("/ui", migrationsUi({ hosts: registry, migrations }));
      // Host a's job history, as the app mounts it.
      app.route("/api/v1/hosts/a", jobsApi({ ...registry.get("a")!.services, migrations }));
      app.onError(errorHandler({ uri: a.uri }));
      return { db, registry, migrations, app };
    };
    await using dom = await a.createDomain({
      name: uniqueName("bbmr-"),
      persistent: true,
      disks: [{ target: "vda", layers: 2 }],
    });
    const top = dom.disks[0].chain[0];
    const dir = top.slice(0, top.lastIndexOf("/"));
    await definePool(b, "bbmr", dir);
    const leftOnB = async () => {
      await b.virsh("pool-refresh", "--pool", "bbmr");
      return (await b.virsh("vol-list", "--pool", "bbmr")).stdout.includes(".qcow2");
    };
    const slowly = { to: "b", storage: "all", bandwidthBytes: 1048576 } as const;
    const copying = (migrations: MigrationService) =>
      waitFor("the throttled migration's first figures", () => {
        const m = migrations.get("a", dom.name);
        return Promise.resolve(m && m.phase === "copying" && m.dataTotal > 0 ? m : null);
      }, { timeoutMs: 15_000, intervalMs: 200 });

    await t.step("a crash mid-migration: the next start aborts the stalled job", async () => {
      const first = blockboard();
      const started = await first.migrations.start("a", dom.name, slowly);
      await copying(first.migrations);
      // The process dies: nothing more is recorded, its virsh processes are killed.
      first.migrations.close();
      await first.registry.stop();
      first.db.close();

      // What libvirt does about it (the reason for what recover does): the half-made domain on
      // b is destroyed with the connection of the dead virsh, and a's job stays, stalled.
      await waitFor("b to drop the incoming domain", async () => {
        return await domState(b, dom.uuid) === null;
      }, { timeoutMs: 10_000, intervalMs: 200 });
      assertMatch(await jobOn(a, dom.uuid), /Outgoing migration/);
      const stalled = /Data processed:\s+(.*)/.exec(await jobOn(a, dom.uuid))?.[1];
      await new Promise((r) => setTimeout(r, 2000));
      assertEquals(/Data processed:\s+(.*)/.exec(await jobOn(a, dom.uuid))?.[1], stalled);
      assert(await leftOnB(), "the file libvirt pre-created on b is still there");

      const second = blockboard();
      try {
        const t0 = performance.now();
        const settled = await second.migrations.recover();
        console.log(`settled after the restart in ${(performance.now() - t0).toFixed(0)} ms`);
        assertEquals(settled.length, 1);
        const [m] = settled;
        assertEquals(m.id, started.id);
        assertEquals(m.phase, "aborted", m.message);
        assertMatch(m.message, /^aborted: blockboard restarted during the migration .*aborted it/);
        assertMatch(m.message, /stays on a, running$/);
        assertEquals(await domState(a, dom.uuid), "running");
        assertEquals(await domState(b, dom.uuid), null);
        assertMatch(await jobOn(a, dom.uuid), /Job type:\s+None/);
        assert(!(await leftOnB()), "the target's file is removed");
        // Shown: the API and the domain's migration panel.
        const api = await second.app.request(
          `/api/v1/hosts/a/domains/${dom.name}/migration`,
        );
        const shown: Migration = (await api.json()).migration;
        assertEquals([shown.id, shown.phase], [m.id, "aborted"]);
        const panel = await (await second.app.request(
          `/ui/hosts/a/domains/${dom.name}/migration`,
        )).text();
        assertMatch(panel, /data-phase="aborted"/);
        assertMatch(panel, /blockboard restarted during the migration/);
        // In a's job history, like the block jobs.
        const history = await second.app.request(`/api/v1/hosts/a/jobs?domain=${dom.name}`);
        const [entry] = (await history.json()).jobs;
        assertEquals([entry.type, entry.id, entry.phase], ["migration", m.id, "aborted"]);
        assertEquals([entry.host, entry.from, entry.to], ["a", "a", "b"]);
        assertEquals(entry.message, m.message);
        // Settled once: nothing is left to settle.
        assertEquals(await second.migrations.recover(), []);
      } finally {
        second.migrations.close();
        await second.registry.stop();
        second.db.close();
      }
    });

    await t.step("a graceful shutdown mid-migration: aborted, recorded, audited", async () => {
      const audit: AuditInput[] = [];
      const running = blockboard(audit);
      let ended: Migration[];
      try {
        const started = await running.migrations.start("a", dom.name, slowly);
        await copying(running.migrations);
        // As main.ts's shutdown does, before the runners stop.
        ended = await running.migrations.shutdown();
        assertEquals(ended.map((m) => [m.id, m.phase]), [[started.id, "aborted"]]);
        assertMatch(
          ended[0].message,
          /^aborted: blockboard was shut down during the migration; .* stays on a, running$/,
        );
        assertEquals(audit.length, 1);
        assertEquals(audit[0].action, "migration.abort-at-shutdown");
        assertEquals([audit[0].result, audit[0].domain, audit[0].host], ["ok", dom.name, "a"]);
        assertEquals(audit[0].message, ended[0].message);
      } finally {
        await running.registry.stop();
        running.db.close();
      }
      assertEquals(await domState(a, dom.uuid), "running");
      assertEquals(await domState(b, dom.uuid), null);
      assert(!(await leftOnB()), "nothing left on b");
      // The next start has nothing to settle and shows the outcome.
      const next = blockboard();
      try {
        assertEquals(await next.migrations.recover(), []);
        assertEquals(next.migrations.get("a", dom.name)?.message, ended[0].message);
      } finally {
        next.migrations.close();
        await next.registry.stop();
        next.db.close();
      }
    });
    await Deno.remove(dataDir, { recursive: true });
  },
});
