/**
 * A live migration with storage between two namespaced lab hosts (`bbo2` → `bbo3`), started
 * through the API, is in `/metrics` while it runs (`migrations_active`, data remaining with
 * `host="bbo2"` and `to="bbo3"`), counted once it completed, and announced to a webhook
 * receiver as `migration.started` and `migration.completed` with host `bbo2`, signed. No scrape
 * runs virsh on either host.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { openDatabase } from "../../server/db.ts";
import { MigrationService } from "../../server/migrations/service.ts";
import { WebhookNotifier } from "../../server/webhooks/notifier.ts";
import { watchControlPlane } from "../../server/webhooks/sources.ts";
import type { MigrationWebhookPayload } from "../../server/webhooks/event.ts";
import { startLabHost } from "../lab/hosts.ts";
import { definePool } from "../lab/host_pool.ts";
import { uniqueName, waitFor } from "../lab/lab.ts";
import { valueOf } from "../support/prometheus.ts";
import {
  type CountingRunner,
  countingRunnerFor,
  scrapeWithoutVirsh,
} from "../support/counting_runner.ts";
import { startReceiver } from "../webhooks/receiver.ts";

const SECRET = "lab-webhook-secret-0123";
const MiB = 1024 * 1024;

Deno.test({
  name: "lab: a live migration bbo2 → bbo3 in /metrics and in webhooks",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using receiver = startReceiver(SECRET);
    await using from = await startLabHost({ name: "bbo2", number: 32 });
    await using to = await startLabHost({ name: "bbo3", number: 33 });
    await using dom = await from.createDomain({
      name: uniqueName("bbobs-"),
      persistent: true,
      disks: [{ target: "vda", layers: 2 }],
    });
    const top = dom.disks[0].chain[0];
    await definePool(to, "bbobs-vda", top.slice(0, top.lastIndexOf("/")));
    const runners: CountingRunner[] = [];
    const registry = createHostRegistry({
      hosts: [{ name: "bbo2", uri: from.uri }, { name: "bbo3", uri: to.uri }],
      runnerFor: countingRunnerFor(runners),
      db: openDatabase(":memory:"),
      probeTimeoutMs: 2000,
    });
    // Monitors are not started: only the migration runs virsh (its sampler once a second).
    const migrations = new MigrationService({ hosts: registry, sampleIntervalMs: 60_000 });
    const app = createApp({ ...registry.default.services, hosts: registry, migrations });
    const notifier = new WebhookNotifier({
      urls: [receiver.url],
      secret: SECRET,
      audit: { record: () => undefined },
    });
    const stop = watchControlPlane(notifier, registry, migrations);
    const scrape = () => scrapeWithoutVirsh(app, runners);
    try {
      const r = await app.request(
        `/api/v1/hosts/bbo2/domains/${encodeURIComponent(dom.name)}/migrate`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ to: "bbo3", storage: "all", bandwidthBytes: 16 * MiB }),
        },
      );
      assertEquals(r.status, 202, await r.clone().text());
      const labels = { host: "bbo2", domain: dom.name, to: "bbo3" };
      const running = await scrape();
      assertEquals(valueOf(running, "blockboard_migrations_active"), 1);
      assert(
        valueOf(running, "blockboard_migration_data_remaining_bytes", labels) !== undefined,
        "the running migration has no data_remaining series with host=bbo2, to=bbo3",
      );

      const done = await waitFor("the migration to end", () => {
        const m = migrations.get("bbo2", dom.name);
        return Promise.resolve(m && m.phase !== "copying" && m.phase !== "preparing" ? m : null);
      }, { timeoutMs: 120_000, intervalMs: 200 });
      assertEquals(done.phase, "completed", done.message);
      const after = await scrape();
      assertEquals(valueOf(after, "blockboard_migrations_active"), 0);
      assertEquals(
        valueOf(after, "blockboard_migration_data_remaining_bytes", labels),
        undefined,
      );
      assertEquals(
        valueOf(after, "blockboard_migrations_finished_total", { outcome: "completed" }),
        1,
      );

      await notifier.idle();
      const events = receiver.received.filter((x) => x.event?.startsWith("migration."));
      assertEquals(events.map((x) => x.event), ["migration.started", "migration.completed"]);
      assert(events.every((x) => x.signatureValid), "a signature did not verify");
      for (const x of events) {
        const p = JSON.parse(x.body) as MigrationWebhookPayload;
        assertEquals([p.host, p.migration.from, p.migration.to], ["bbo2", "bbo2", "bbo3"]);
        assertEquals(p.migration.domain, dom.name);
      }
      assertEquals(
        (JSON.parse(events[1].body) as MigrationWebhookPayload).migration.phase,
        "completed",
      );
    } finally {
      stop();
      await notifier.close();
      migrations.close();
      await registry.stop();
      await to.virsh("destroy", "--domain", dom.uuid);
      await to.virsh("undefine", "--domain", dom.uuid);
    }
  },
});
