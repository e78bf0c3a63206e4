/**
 * Metrics and webhooks on a real throttled copy (real virsh, real QEMU, lab domain `bbmet-*`):
 * scraped through the secured app with a bearer token, the job's ratio rises and the virsh call
 * counter grows while no scrape runs virsh; a signed webhook arrives for the start, for ready
 * and for the abort that keeps the copy.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { WebhookNotifier } from "../../server/webhooks/notifier.ts";
import type { JobWebhookPayload } from "../../server/webhooks/event.ts";
import { createLabDomain, LAB_URI, uniqueName, waitFor } from "../lab/lab.ts";
import { testSecurity } from "../support/security.ts";
import { family, parseExposition, valueOf } from "../support/prometheus.ts";
import { startReceiver } from "../webhooks/receiver.ts";
import { CountingRunner } from "../support/counting_runner.ts";

const HOST = "127.0.0.1:8080";
const SECRET = "lab-webhook-secret-0123";
const MiB = 1024 * 1024;
/** Slow enough that the 64 MiB copy takes about 16 s. */
const RATE = 4 * MiB;

Deno.test("lab: /metrics during a real copy, and webhooks for started, ready and kept-copy", async () => {
  await using receiver = startReceiver(SECRET);
  await using dom = await createLabDomain({ name: uniqueName("bbmet-") });
  const spawn = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  const runner = new CountingRunner(spawn);
  // Sampling by hand (tick), no periodic resync and no resync when another test's job starts
  // (the lab is shared): nothing but this test starts virsh between two counts.
  const services = createServices(runner, {
    storageRoots: [dom.dir],
    monitor: { sampling: false, resyncIntervalMs: 0, jobStartEvents: false },
  });
  const security = testSecurity();
  const { token: operator } = await security.tokens.create("lab", "operator");
  const { token: scraper } = await security.tokens.create("prometheus", "viewer");
  const app = createApp({ ...services, security });
  const notifier = new WebhookNotifier({
    urls: [receiver.url],
    secret: SECRET,
    audit: security.audit,
  });
  notifier.watchJobs(services.hostName, services.monitor.book);
  const api = (path: string, json: unknown) =>
    app.request(`http://${HOST}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify(json),
    });
  const scrape = async () => {
    const started = runner.started;
    const spawned = spawn.spawned;
    const res = await app.request(`http://${HOST}/metrics`, {
      headers: { authorization: `Bearer ${scraper}` },
    });
    assertEquals(res.status, 200);
    const families = parseExposition(await res.text());
    assertEquals(runner.started, started, "a scrape started a virsh call");
    assertEquals(spawn.spawned, spawned, "a scrape spawned a virsh process");
    return families;
  };
  const virshCalls = (families: ReturnType<typeof parseExposition>) =>
    family(families, "blockboard_virsh_calls_total").metrics.reduce(
      (n, m) => n + Number(m.value),
      0,
    );
  try {
    await services.monitor.start();
    await waitFor(
      "the event listener",
      () => Promise.resolve(services.monitor.events.state !== "off" ? true : null),
    );
    const disk = `/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vda`;
    const started = await api(`${disk}/copy`, {
      dest: `${dom.dir}/bbmet-copy.qcow2`,
      bandwidthBytes: RATE,
    });
    assertEquals(started.status, 202, await started.clone().text());

    const labels = { host: "local", domain: dom.name, disk: "vda", type: "copy" };
    const ratios: number[] = [];
    const calls: number[] = [];
    const finished = (families: ReturnType<typeof parseExposition>) =>
      valueOf(families, "blockboard_jobs_finished_total", {
        host: "local",
        type: "copy",
        outcome: "kept-copy",
      }) ?? 0;
    let finishedBefore = 0;
    // QEMU's mirror copies in 16 MiB bursts and then sleeps off the limit, so progress moves in
    // steps a few seconds apart: scrape every half second until the ratio has risen.
    const deadline = Date.now() + 30_000;
    while (ratios.length < 3 || ratios.at(-1)! <= ratios[0]) {
      assert(Date.now() < deadline, `the ratio did not rise in 30 s: ${ratios}`);
      await services.monitor.tick();
      const families = await scrape();
      const ratio = valueOf(families, "blockboard_job_progress_ratio", labels);
      assert(ratio !== undefined, "the job is not in /metrics");
      ratios.push(ratio);
      calls.push(virshCalls(families));
      finishedBefore = finished(families);
      // Other tests' jobs on the shared lab may be active too.
      assert(valueOf(families, "blockboard_jobs_active", { host: "local" })! >= 1);
      assertEquals(valueOf(families, "blockboard_job_bandwidth_limit_bytes", labels), RATE);
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`ratios ${ratios.join(" ")}; virsh calls ${calls.join(" ")}`);
    assert(ratios.every((r, i) => i === 0 || r >= ratios[i - 1]), `the ratio fell: ${ratios}`);
    assert(ratios.at(-1)! < 1, `the throttled copy finished too soon: ${ratios}`);
    // Each tick between two scrapes samples the job: the counter grows, the scrapes add nothing.
    assert(
      calls.every((n, i) => i === 0 || n > calls[i - 1]),
      `virsh calls did not grow: ${calls}`,
    );

    // Unthrottled, the copy becomes ready (by libvirt's event) and is aborted keeping the copy.
    assertEquals((await api(`${disk}/job/bandwidth`, { bandwidthBytes: 0 })).status, 200);
    await waitFor("ready", async () => {
      await services.monitor.tick();
      return services.monitor.getJob(dom.uuid, "vda")?.phase === "ready" ? true : null;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    const aborted = await api(`${disk}/job/abort`, {});
    assertEquals(aborted.status, 200, await aborted.clone().text());
    assertEquals((await aborted.json()).job.phase, "kept-copy");

    // The monitor watches the whole connection: other tests' jobs may be announced too.
    const ours = () =>
      receiver.received.filter((r) =>
        (JSON.parse(r.body) as JobWebhookPayload).job.uuid === dom.uuid
      );
    const events = await waitFor(
      "three webhooks",
      () => Promise.resolve(ours().at(-1)?.event === "kept-copy" ? ours() : null),
      {
        timeoutMs: 20_000,
      },
    );
    assertEquals(events.map((r) => r.event), ["started", "ready", "kept-copy"]);
    assert(receiver.received.every((r) => r.signatureValid), "a signature did not verify");
    const ready = JSON.parse(events[1].body) as JobWebhookPayload;
    assertEquals(ready.host, "local");
    assertEquals(ready.job.domain, dom.name);
    assertEquals(ready.job.phase, "ready");
    assert(ready.job.readyAt !== null);

    const after = await scrape();
    // At least ours (another test's job may have ended the same way meanwhile).
    assert(finished(after) >= finishedBefore + 1, `${finishedBefore} → ${finished(after)}`);
    assertEquals(valueOf(after, "blockboard_job_progress_ratio", labels), undefined);
    assertEquals(valueOf(after, "blockboard_libvirt_up", { host: "local" }), 1);
    assertEquals(security.audit.query({ action: "webhook" }).total, 0);
  } finally {
    await notifier.close();
    await services.monitor.stop();
    await spawn.close();
  }
});
