/**
 * A live migration's drive-mirrors are owned by the migration (server/jobs/owners.ts), on two
 * namespaced lab hosts (bbw1 → bbw2) with the source host's job monitor running: the mirror
 * libvirt starts on vda is adopted as part of the migration ("Migrating to bbw2", no job
 * controls, the API's pivot answers 409 naming the migration); after the migration is aborted,
 * the disk's card does not say "Copy failed", the job history has no copy row for it,
 * `jobs_finished_total` counts no failed copy, and no job webhook announces it (the migration's
 * own `migration.aborted` does).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { openDatabase } from "../../server/db.ts";
import { MigrationService } from "../../server/migrations/service.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { WebhookNotifier } from "../../server/webhooks/notifier.ts";
import { watchControlPlane } from "../../server/webhooks/sources.ts";
import type { WebhookPayload } from "../../server/webhooks/event.ts";
import { isActivePhase } from "../../server/jobs/model.ts";
import { startLabHost } from "../lab/hosts.ts";
import { definePool } from "../lab/host_pool.ts";
import { uniqueName, waitFor } from "../lab/lab.ts";
import { parseExposition, valueOf } from "../support/prometheus.ts";
import { startReceiver } from "../webhooks/receiver.ts";

const SECRET = "lab-webhook-secret-owned-0123";
const MiB = 1024 * 1024;

Deno.test({
  name: "lab: an aborted migration's mirror is no failed copy (history, metrics, webhooks, card)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using receiver = startReceiver(SECRET);
    await using from = await startLabHost({ name: "bbw1", number: 61 });
    await using to = await startLabHost({ name: "bbw2", number: 62 });
    await using dom = await from.createDomain({
      name: uniqueName("bbow-"),
      persistent: true,
      disks: [{ target: "vda", layers: 2 }],
    });
    const top = dom.disks[0].chain[0];
    await definePool(to, "bbow-vda", top.slice(0, top.lastIndexOf("/")));
    const registry = createHostRegistry({
      hosts: [{ name: "bbw1", uri: from.uri }, { name: "bbw2", uri: to.uri }],
      runnerFor: (spec) => new SpawnRunner({ uri: spec.uri, timeoutMs: 20_000 }),
      serviceOptions: () => ({ monitor: { intervalMs: 250, resyncIntervalMs: 1000 } }),
      db: openDatabase(":memory:"),
      probeTimeoutMs: 2000,
    });
    const migrations = new MigrationService({ hosts: registry });
    const source = registry.get("bbw1")!.services;
    const app = createApp({ ...source, hosts: registry, migrations });
    const notifier = new WebhookNotifier({
      urls: [receiver.url],
      secret: SECRET,
      audit: { record: () => undefined },
    });
    await registry.start();
    await registry.started("bbw1");
    const stop = watchControlPlane(notifier, registry, migrations);
    const failedCopies = async () =>
      valueOf(
        parseExposition(await (await app.request("/metrics")).text()),
        "blockboard_jobs_finished_total",
        { host: "bbw1", type: "copy", outcome: "failed" },
      ) ?? 0;
    const request = (path: string, body?: unknown) =>
      app.request(path, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const fragment = async () =>
      await (await request(`/ui/domains/${dom.uuid}/disks/vda/job/status?seen=none`)).text();
    try {
      const failedBefore = await failedCopies();
      const migration = `/api/v1/hosts/bbw1/domains/${encodeURIComponent(dom.name)}/migrat`;
      const r = await request(`${migration}e`, { to: "bbw2", storage: "all", bandwidthBytes: MiB });
      assertEquals(r.status, 202, await r.clone().text());
      const id = (await r.json()).migration.id as string;

      // libvirt's drive-mirror on vda, adopted by bbw1's monitor as part of the migration.
      const mirror = await waitFor("the migration's mirror to be adopted", () => {
        const job = source.monitor.getJob(dom.uuid, "vda");
        return Promise.resolve(job && isActivePhase(job.phase) ? job : null);
      }, { timeoutMs: 20_000, intervalMs: 100 });
      assertEquals(mirror.owner, { kind: "migration", id, label: "Migrating to bbw2" });
      const during = await fragment();
      assertStringIncludes(during, "Migrating to bbw2");
      for (const control of ["Pivot now", "Keep copy", 'data-action="abort"', "bandwidth-form"]) {
        assert(!during.includes(control), `no ${control} on a migration's mirror`);
      }
      assert(!during.includes("outside blockboard"), during);
      const pivot = await request(`/api/v1/domains/${dom.name}/disks/vda/job/pivot`, {});
      assertEquals(pivot.status, 409);
      assertStringIncludes((await pivot.json()).error.message, `part of the live migration ${id}`);

      const aborted = await request(`${migration}ion/abort`, {});
      assertEquals(aborted.status, 200);
      assertEquals((await aborted.json()).migration.phase, "aborted");
      const ended = await waitFor("the mirror's end", () => {
        const job = source.monitor.getJob(dom.uuid, "vda");
        return Promise.resolve(job && !isActivePhase(job.phase) ? job : null);
      }, { timeoutMs: 20_000, intervalMs: 100 });
      assertEquals(ended.owner?.id, id);
      await source.monitor.settled({ uuid: dom.uuid, target: "vda" });
      const after = await fragment();
      assertStringIncludes(after, "ended with the migration");
      assert(!after.includes("Copy failed"), after);
      assert(!/badge-failed/.test(after), after);

      assertEquals(source.history!.list({ limit: 50, domain: dom.uuid }), [], "no job history row");
      assertEquals(await failedCopies(), failedBefore, "no failed copy counted");
      await notifier.idle();
      const payloads = receiver.received.map((x) => JSON.parse(x.body) as WebhookPayload);
      assertEquals(
        payloads.filter((p) => "job" in p && p.job.uuid === dom.uuid).length,
        0,
        "no job webhook for the migration's mirror",
      );
      assertEquals(
        receiver.received.map((x) => x.event).filter((e) => e?.startsWith("migration.")),
        ["migration.started", "migration.aborted"],
      );
    } finally {
      stop();
      await notifier.close();
      migrations.close();
      await registry.stop();
    }
  },
});
