/**
 * On real lab VMs: a job started with plain virsh (and its end) reaches the page's change feed
 * within 2 s while feed requests start no virsh process; after a pull the outcome names the two
 * layers that left the chain, and a confirmed clean-up deletes them — except a base another
 * defined domain still builds on, which is refused with a sentence and kept.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { tryGetContext } from "hono/context-storage";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { testSecurity } from "../support/security.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import {
  createLabDomain,
  LAB_URI,
  labDiskOnlySnapshot,
  type LabDomain,
  labOutsideCopy,
  labRebaseHeader,
  labVirsh,
} from "../lab/lab.ts";
import { waitPhase } from "./lab_harness.ts";
import { OPEN_MODE_USER } from "../../server/auth/users.ts";

const HOST = "127.0.0.1:8080";

/** The real app with security in open mode (so clean-ups are audited) over a lab domain. */
async function labApp(dom: LabDomain) {
  const db = openDatabase(IN_MEMORY);
  const runner = new SpawnRunner({ uri: LAB_URI });
  // Calls made while serving a request carry its context: count those of feed requests.
  const callsByPath = new Map<string, string[][]>();
  runner.onCall((r) => {
    const path = tryGetContext()?.req.path;
    if (path) callsByPath.set(path, [...(callsByPath.get(path) ?? []), r.argv.slice(2)]);
  });
  const services = createServices(runner, {
    db,
    storageRoots: [dom.dir],
    inventoryCacheMs: 0,
    // No periodic resync: whatever is seen within 2 s came from the QEMU job event.
    monitor: { intervalMs: 250, resyncIntervalMs: 0 },
  });
  const security = testSecurity({ db, clientAddress: () => "192.0.2.9" });
  await services.monitor.start();
  const app = createApp({ ...services, security });
  let csrf = "";
  const request = async (path: string, init: { method?: string; form?: URLSearchParams } = {}) => {
    if (init.form && !csrf) {
      // Open mode has a CSRF token too: the page hands it to htmx, as in a browser.
      const page = await (await app.request(`http://${HOST}/`, { headers: { host: HOST } })).text();
      csrf = /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(page)![1];
    }
    return await app.request(`http://${HOST}${path}`, {
      method: init.method ?? "GET",
      headers: {
        host: HOST,
        ...(init.form
          ? {
            origin: `http://${HOST}`,
            "content-type": "application/x-www-form-urlencoded",
            "x-csrf-token": csrf,
          }
          : {}),
      },
      body: init.form?.toString(),
    });
  };
  return {
    services,
    security,
    request,
    callsOf: (path: string) => callsByPath.get(path)?.length ?? 0,
    argvsOf: (path: string) => callsByPath.get(path) ?? [],
    async [Symbol.asyncDispose]() {
      await services.monitor.stop();
      db.close();
    },
  };
}

/** Polls the feed from `since` until `match` is in an answer; returns the elapsed ms. */
async function untilOnFeed(
  w: Awaited<ReturnType<typeof labApp>>,
  since: number,
  match: (html: string) => boolean,
  limitMs: number,
): Promise<{ ms: number; html: string; requests: number }> {
  const t0 = performance.now();
  let requests = 0;
  while (performance.now() - t0 < limitMs) {
    const html = await (await w.request(`/ui/jobs/feed?since=${since}`)).text();
    requests++;
    if (match(html)) return { ms: performance.now() - t0, html, requests };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not on the feed within ${limitMs} ms`);
}

function generationOf(html: string): number {
  return Number(/data-generation="(\d+)"/.exec(html)![1]);
}

Deno.test("a copy started and aborted with plain virsh reaches the feed within 2 s; feed requests run no virsh per request", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 2, sizeMiB: 64 }] });
  await using w = await labApp(dom);
  const slot = `id="jobslot-${dom.uuid}-vda"`;
  const since = generationOf(await (await w.request("/ui/jobs/feed?since=0")).text());
  // `virsh qemu-monitor-event` prints nothing until the first event: give it a second to subscribe.
  await new Promise((r) => setTimeout(r, 1000));

  await labOutsideCopy(dom.uuid, "vda", `${dom.dir}/vda/plain-copy.qcow2`);
  const seen = await untilOnFeed(
    w,
    since,
    (h) => h.includes(slot) && h.includes('data-phase="running"'),
    2000,
  );
  assertStringIncludes(seen.html, "started by outside blockboard");
  console.log(
    `plain-virsh copy on the feed after ${seen.ms.toFixed(0)} ms (${seen.requests} feed requests)`,
  );

  const after = generationOf(seen.html);
  const aborted = await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
  assertEquals(aborted.code, 0, aborted.stderr);
  const ended = await untilOnFeed(
    w,
    after,
    (h) => h.includes(slot) && h.includes('data-phase="canceled"'),
    2000,
  );
  console.log(`its end on the feed after ${ended.ms.toFixed(0)} ms`);
  // Feed requests answer from memory. The one exception is the inventory's refresh after an
  // event marked this domain (its chain may have changed): read-only, once per change, shared by
  // every page polling at that moment, however many feed requests there were.
  const feedCalls = w.argvsOf("/ui/jobs/feed");
  const requests = seen.requests + ended.requests + 1;
  for (const argv of feedCalls) {
    assert(
      ["list", "domstats"].includes(argv[0]) ||
        (argv[0] === "dumpxml" && argv.includes(dom.uuid)),
      `a feed request ran ${argv.join(" ")}`,
    );
  }
  assert(feedCalls.length <= 8, `${feedCalls.length} virsh calls in ${requests} feed requests`);
  // The count does see calls a request makes: the page itself lists domains through virsh.
  await w.request(`/domains/${encodeURIComponent(dom.name)}`);
  assert(w.callsOf(`/domains/${dom.name}`) > 0, "the control request's virsh calls are counted");
});

Deno.test("pull of a 3-layer chain: the outcome lists the 2 left layers; a confirmed clean-up deletes them (audited)", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 3, sizeMiB: 64 }] });
  await using w = await labApp(dom);
  const [top, mid, base] = dom.disks[0].chain;
  const ref = { uuid: dom.uuid, target: "vda" };
  // Started from the page's form: the job records who asked (open mode's local user).
  const startRes = await w.request(`/ui/domains/${dom.uuid}/disks/vda/pull`, {
    method: "POST",
    form: new URLSearchParams(),
  });
  assertEquals(startRes.status, 200);
  const done = await waitPhase(w.services.monitor, ref, ["completed", "failed", "unknown"]);
  assertEquals(done.phase, "completed");
  await w.services.monitor.settled({ uuid: dom.uuid, target: "vda" });
  assertEquals(w.services.monitor.getJob(dom.uuid, "vda")!.leftChain, [mid, base]);
  const [listed] = (await (await w.request(`/api/v1/jobs?domain=${dom.name}`)).json()).jobs;
  assertEquals([listed.type, listed.phase, listed.startedBy], [
    "pull",
    "completed",
    OPEN_MODE_USER,
  ]);
  assertEquals(listed.leftChain, [mid, base]);

  const page = await (await w.request(`/domains/${encodeURIComponent(dom.name)}`)).text();
  assertStringIncludes(page, "2 files left the chain and are still on disk");
  assertStringIncludes(page, `<li data-path="${mid}">`);
  assertStringIncludes(page, `<li data-path="${base}">`);
  assert(!page.includes(`<li data-path="${top}">`));
  assertStringIncludes(page, 'data-action="cleanup"');

  const ui = `/ui/domains/${dom.uuid}/disks/vda/cleanup`;
  const confirm = await (await w.request(ui)).text();
  assertStringIncludes(confirm, `data-path="${mid}" data-deletable="true"`);
  assertStringIncludes(confirm, `data-path="${base}" data-deletable="true"`);
  assertStringIncludes(confirm, "Delete 2 files");
  // Nothing is deleted by looking.
  await Deno.stat(mid);

  const form = new URLSearchParams([["file", mid], ["file", base], ["file", top]]);
  const res = await w.request(ui, { method: "POST", form });
  assertEquals(res.status, 200);
  const result = await res.text();
  assertStringIncludes(result, `data-path="${mid}" data-deleted="true"`);
  assertStringIncludes(result, `data-path="${base}" data-deleted="true"`);
  assert(!result.includes(top), "the active layer was never a candidate");
  for (const f of [mid, base]) {
    assertEquals(await Deno.stat(f).then(() => "exists", () => "gone"), "gone", f);
  }
  await Deno.stat(top);
  const audit = w.security.audit.query().entries.filter((e) => e.action.endsWith("(job.cleanup)"));
  assertEquals(audit.map((e) => [e.result, e.message]).sort(), [
    ["ok", `deleted ${base}`],
    ["ok", `deleted ${mid}`],
  ]);
  assertEquals(w.services.history!.recent(dom.uuid, "vda")[0].cleaned.sort(), [base, mid].sort());
});

Deno.test("clean-up refuses a base another defined domain builds on, with a sentence, and keeps it", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 3, sizeMiB: 64 }] });
  // A defined, shut-off domain whose own top layer now backs onto dom's base: its XML names only
  // its top, so the sharing is visible only in the image header.
  await using other = await createLabDomain({
    persistent: true,
    running: false,
    disks: [{ target: "vda", layers: 2, sizeMiB: 64 }],
  });
  const [, mid, base] = dom.disks[0].chain;
  await labRebaseHeader(other.disks[0].chain[0], base);
  await using w = await labApp(dom);
  const ref = { uuid: dom.uuid, target: "vda" };
  await w.services.operations.startPull(ref, {});
  assertEquals(
    (await waitPhase(w.services.monitor, ref, ["completed", "failed", "unknown"])).phase,
    "completed",
  );
  await w.services.monitor.settled({ uuid: dom.uuid, target: "vda" });

  const ui = `/ui/domains/${dom.uuid}/disks/vda/cleanup`;
  const confirm = await (await w.request(ui)).text();
  assertStringIncludes(confirm, `data-path="${base}" data-deletable="false"`);
  assertStringIncludes(
    confirm,
    `kept: it is still used by domain ${other.name}, disk vda (backing chain)`,
  );
  assertStringIncludes(confirm, "Delete 1 file");

  // Even when posted anyway, the base is checked again and kept.
  const res = await w.request(ui, {
    method: "POST",
    form: new URLSearchParams([["file", mid], ["file", base]]),
  });
  const result = await res.text();
  assertStringIncludes(result, `data-path="${mid}" data-deleted="true"`);
  assertStringIncludes(result, `data-path="${base}" data-deleted="false"`);
  assertStringIncludes(result, `still used by domain ${other.name}`);
  await Deno.stat(base);
  const refused = w.security.audit.query().entries.filter((e) =>
    e.action.endsWith("(job.cleanup)") && e.result === "refused"
  );
  assertEquals(refused.length, 1);
  assertStringIncludes(
    refused[0].message,
    `kept ${base}: it is still used by domain ${other.name}`,
  );
});

Deno.test("a snapshot taken with plain virsh redraws the disk on an open page within 2 s", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 2 }] });
  await using w = await labApp(dom);
  // The page as a browser loads it: its feed element names both generations.
  const page = await (await w.request(`/domains/${encodeURIComponent(dom.name)}`)).text();
  const feedUrl = /hx-get="(\/ui\/jobs\/feed\?[^"]+)"/.exec(page)![1].replaceAll("&amp;", "&");
  // `virsh qemu-monitor-event` prints nothing until the first event: give it a second to subscribe.
  await new Promise((r) => setTimeout(r, 1000));
  const overlay = `${dom.dir}/vda/live-overlay.qcow2`;
  const made = await labDiskOnlySnapshot(dom.uuid, "vda", overlay);
  assertEquals(made.code, 0, made.stderr);
  const t0 = performance.now();
  let url = feedUrl;
  let html = "";
  while (performance.now() - t0 < 2000) {
    html = await (await w.request(url)).text();
    if (html.includes(overlay)) break;
    url = /hx-get="(\/ui\/jobs\/feed\?[^"]+)"/.exec(html)![1].replaceAll("&amp;", "&");
    await new Promise((r) => setTimeout(r, 100));
  }
  assertStringIncludes(html, overlay, "the new top layer reached the open page's feed");
  assertStringIncludes(html, `id="disk-${dom.uuid}-vda"`);
  assertStringIncludes(html, 'hx-swap-oob="outerHTML"');
  console.log(`plain-virsh snapshot on the feed after ${(performance.now() - t0).toFixed(0)} ms`);
});
