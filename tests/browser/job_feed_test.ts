/**
 * Chromium on an open domain page, signed in as an operator (security on): a copy started with
 * plain virsh, and one started from the web terminal, appear on the page by themselves (the
 * shared change feed), without a reload, each saying who started it.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import {
  createLabDomain,
  LAB_URI,
  labDiskOnlySnapshot,
  labOutsideCopy,
  labVirsh,
  waitFor,
} from "../lab/lab.ts";
import { launchBrowser, recordProblems } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("Chromium: copies started with plain virsh and from the terminal, and a virsh snapshot, appear on the open page without reload", async () => {
  await using dom = await createLabDomain({
    disks: [
      { target: "vda", layers: 2, sizeMiB: 64 },
      { target: "vdb", layers: 2, sizeMiB: 64 },
    ],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, {
    inventoryCacheMs: 0,
    storageRoots: [dom.dir],
    monitor: { resyncIntervalMs: 0 }, // only the QEMU job event and the terminal hook
  });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const operator = TEST_USERS.operator;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems = recordProblems(page);
    await logIn(page, server.url, operator, `/domains/${encodeURIComponent(dom.name)}`);
    // A mark that a reload would wipe.
    await page.evaluate("document.body.setAttribute('data-test-mark', 'kept')");
    // The feed has polled once (its element was replaced), and `virsh qemu-monitor-event`, which
    // prints nothing until the first event, has had a second to subscribe.
    await page.evaluate("window.bbFirstFeed = document.getElementById('job-feed')");
    await waitFor(
      "the feed to poll once",
      async () =>
        await page.evaluate("document.getElementById('job-feed') !== window.bbFirstFeed") === true,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    const slot = (target: string) => page.locator(`#jobslot-${dom.uuid}-${target}`);
    assertEquals(await slot("vda").locator(".job-status").count(), 0);

    // 1. Plain virsh, outside blockboard.
    const t0 = performance.now();
    await labOutsideCopy(dom.uuid, "vda", `${dom.dir}/vda/plain.qcow2`);
    await slot("vda").locator(".job-status").waitFor({ timeout: 5_000 });
    const shownAfter = performance.now() - t0;
    console.log(`virsh-started copy on the page after ${shownAfter.toFixed(0)} ms`);
    assert(shownAfter < 2_000, `shown after ${shownAfter} ms`);
    assert((await slot("vda").innerText()).includes("started by outside blockboard"));

    // 2. From the web terminal on the same page.
    await page.locator(".term-summary").click();
    const input = page.locator("#terminal-input");
    await input.fill(
      `blockcopy --domain ${dom.name} --path vdb --dest ${dom.dir}/vdb/term.qcow2 --format qcow2 --bandwidth 1048576 --bytes`,
    );
    await input.press("Enter");
    await slot("vdb").locator(".job-status").waitFor({ timeout: 5_000 });
    assert(
      (await slot("vdb").innerText()).includes(`started by terminal (${operator.name})`),
      await slot("vdb").innerText(),
    );

    // 3. Its end (aborted with plain virsh) shows too.
    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
    await slot("vda").locator('.job[data-phase="canceled"]').waitFor({ timeout: 5_000 });

    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vdb", "--abort");
    await slot("vdb").locator('.job[data-phase="canceled"]').waitFor({ timeout: 5_000 });

    // 4. A disk-only snapshot with plain virsh (no libvirt event): the new top layer shows.
    const overlay = `${dom.dir}/vda/overlay.qcow2`;
    const t1 = performance.now();
    const snap = await labDiskOnlySnapshot(dom.uuid, "vda", overlay, ["vdb"]);
    assertEquals(snap.code, 0, snap.stderr);
    await page.locator(`#disk-${dom.uuid}-vda`, { hasText: overlay }).waitFor({ timeout: 5_000 });
    const chainAfter = performance.now() - t1;
    console.log(`virsh snapshot's new layer on the page after ${chainAfter.toFixed(0)} ms`);
    assert(chainAfter < 2_000, `shown after ${chainAfter} ms`);

    assertEquals(await page.locator("body").getAttribute("data-test-mark"), "kept");
    assertEquals(problems, []);
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
