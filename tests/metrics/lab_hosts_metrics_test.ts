/**
 * Metrics and webhooks of a dashboard over two hosts: the lab's libvirt (`local`) and a
 * namespaced lab host `bbo1` (its own libvirtd at `qemu+tcp://10.77.31.2/system`). A real,
 * throttled pull on bbo1, started through `/api/v1/hosts/bbo1/...`, shows up in `/metrics` with
 * `host="bbo1"` while it runs and in `jobs_finished_total{host="bbo1"}` once it completed; its
 * signed webhooks carry host `bbo1`. A live migration with storage between two more lab hosts
 * (`bbo2` → `bbo3`) is in `/metrics` while it runs (`migrations_active`, data remaining with
 * `host="bbo2"`, `to="bbo3"`), counted once it completed, and announced as `migration.started`
 * and `migration.completed` with host `bbo2`. No scrape runs virsh on any host (counting runners).
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { openDatabase } from "../../server/db.ts";
import { WebhookNotifier } from "../../server/webhooks/notifier.ts";
import { watchControlPlane } from "../../server/webhooks/sources.ts";
import { MigrationService } from "../../server/migrations/service.ts";
import type {
  JobWebhookPayload,
  MigrationWebhookPayload,
  WebhookPayload,
} from "../../server/webhooks/event.ts";
import { startLabHost } from "../lab/hosts.ts";
import { definePool } from "../lab/host_pool.ts";
import { LAB_URI, uniqueName, waitFor } from "../lab/lab.ts";
import { family, valueOf } from "../support/prometheus.ts";
import { startReceiver } from "../webhooks/receiver.ts";
import {
  type CountingRunner,
  countingRunnerFor,
  scrapeWithoutVirsh,
} from "../support/counting_runner.ts";

const SECRET = "lab-webhook-secret-0123";
const MiB = 1024 * 1024;

Deno.test({
  name: "lab: a pull on namespaced host bbo1 in /metrics with host=bbo1, and its webhooks",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using receiver = startReceiver(SECRET);
    await using bbo1 = await startLabHost({ name: "bbo1", number: 31 });
    await using dom = await bbo1.createDomain({
      name: uniqueName("bbobs-"),
      disks: [{ target: "vda", layers: 2 }],
    });
    const runners: CountingRunner[] = [];
    const registry = createHostRegistry({
      hosts: [{ name: "local", uri: LAB_URI }, { name: "bbo1", uri: bbo1.uri }],
      runnerFor: countingRunnerFor(runners),
      // Sampling by hand and no resync on other tests' jobs: between two counts only this test
      // starts virsh (the event listeners are one long call each, started before).
      serviceOptions: () => ({
        monitor: { sampling: false, resyncIntervalMs: 0, jobStartEvents: false },
      }),
      db: openDatabase(":memory:"),
      probeTimeoutMs: 2000,
    });
    const migrations = new MigrationService({ hosts: registry });
    const app = createApp({ ...registry.default.services, hosts: registry, migrations });
    const notifier = new WebhookNotifier({
      urls: [receiver.url],
      secret: SECRET,
      audit: { record: () => undefined },
    });
    await registry.start();
    await registry.started("bbo1");
    const stop = watchControlPlane(notifier, registry, migrations);
    const scrape = () => scrapeWithoutVirsh(app, runners);
    const monitor = registry.get("bbo1")!.services.monitor;
    try {
      const disk = `/api/v1/hosts/bbo1/domains/${encodeURIComponent(dom.name)}/disks/vda`;
      const started = await app.request(disk + "/pull", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ bandwidthBytes: 2 * MiB }),
      });
      assertEquals(started.status, 202, await started.clone().text());

      const labels = { host: "bbo1", domain: dom.name, disk: "vda", type: "pull" };
      await monitor.tick();
      const running = await scrape();
      const ratio = valueOf(running, "blockboard_job_progress_ratio", labels);
      assert(ratio !== undefined, "the pull on bbo1 is not in /metrics with host=bbo1");
      assert(ratio < 1, `the throttled pull is done already: ${ratio}`);
      assertEquals(valueOf(running, "blockboard_job_bandwidth_limit_bytes", labels), 2 * MiB);
      assertEquals(valueOf(running, "blockboard_jobs_active", { host: "bbo1" }), 1);
      assertEquals(valueOf(running, "blockboard_libvirt_up", { host: "bbo1" }), 1);
      assertEquals(valueOf(running, "blockboard_libvirt_up", { host: "local" }), 1);
      // The pull's own calls went to bbo1's libvirt and are counted there.
      assertEquals(
        valueOf(running, "blockboard_virsh_calls_total", { host: "bbo1", command: "blockpull" }),
        1,
      );
      assertEquals(
        valueOf(running, "blockboard_virsh_calls_total", { host: "local", command: "blockpull" }),
        undefined,
      );

      // Unthrottled, it completes.
      const fast = await app.request(disk + "/job/bandwidth", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ bandwidthBytes: 0 }),
      });
      assertEquals(fast.status, 200, await fast.clone().text());
      await waitFor("the pull on bbo1 to complete", async () => {
        await monitor.tick();
        return monitor.getJob(dom.uuid, "vda")?.phase === "completed" ? true : null;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      const after = await scrape();
      assertEquals(valueOf(after, "blockboard_job_progress_ratio", labels), undefined);
      assertEquals(
        valueOf(after, "blockboard_jobs_finished_total", {
          host: "bbo1",
          type: "pull",
          outcome: "completed",
        }),
        1,
      );
      assertEquals(valueOf(after, "blockboard_migrations_active"), 0);
      assertEquals(family(after, "blockboard_moves_active").type, "GAUGE");

      const ours = () =>
        receiver.received.filter((r) => {
          const p = JSON.parse(r.body) as WebhookPayload;
          return "job" in p && p.job.uuid === dom.uuid;
        });
      const events = await waitFor(
        "the pull's webhooks",
        () => Promise.resolve(ours().at(-1)?.event === "completed" ? ours() : null),
        { timeoutMs: 20_000 },
      );
      assertEquals(events.map((r) => r.event), ["started", "completed"]);
      assert(events.every((r) => r.signatureValid), "a signature did not verify");
      for (const r of events) {
        const p = JSON.parse(r.body) as JobWebhookPayload;
        assertEquals([p.host, p.job.host, p.job.domain], ["bbo1", "bbo1", dom.name]);
      }
    } finally {
      stop();
      await notifier.close();
      migrations.close();
      await registry.stop();
    }
  },
});

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
