/**
 * A block copy driven from the page in Chromium, against a real lab VM: start a throttled copy,
 * watch the bar advance, see Pivot enabled at ready, pivot, and see the chain change.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labVirsh, waitFor } from "../lab/lab.ts";
import { launchBrowser, serveOnLoopback } from "../support/browser.ts";

const SCREENSHOTS = new URL("../../docs/", import.meta.url);

Deno.test("copy from the page: bar advances, Pivot enables at ready, pivot changes the chain", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 3, sizeMiB: 64 }] });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0 });
  await services.monitor.start();
  await using server = serveOnLoopback(createApp(services).fetch);
  const browser = await launchBrowser();
  const dest = `${dom.dir}/vda/copy.qcow2`;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${server.url}/domains/${encodeURIComponent(dom.name)}`);
    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator("summary").click();
    const form = disk.locator("form.start-copy");
    await form.locator('input[name="dest"]').fill(dest);
    await form.locator('input[name="bandwidthMiB"]').fill("2");
    // The preview shows the exact command before anything runs.
    await form.locator(".preview .command").filter({ hasText: "--bandwidth 2097152" })
      .waitFor({ timeout: 10_000 });
    const command = await form.locator(".preview .command").innerText();
    assert(command.includes("--format qcow2"), command);
    assert(command.includes(`--dest ${dest}`), command);
    assert(command.includes("--bytes"), command);
    await form.locator('button[type="submit"]').click();

    const status = disk.locator(".job-status");
    await status.waitFor({ timeout: 10_000 });
    assertEquals(await disk.locator('button[data-action="pivot"]').isDisabled(), true);
    // The bar advances: two different percentages seen while running.
    const seen = new Set<string>();
    await waitFor("the progress bar to advance", async () => {
      const phase = await status.getAttribute("data-phase").catch(() => null);
      const pct = await status.getAttribute("data-percent").catch(() => null);
      if (phase === "running" && pct) seen.add(pct);
      return seen.size >= 2;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    await disk.screenshot({ path: new URL("job-running.png", SCREENSHOTS).pathname });

    const pivot = disk.locator('button[data-action="pivot"]');
    await waitFor(
      "Pivot to become enabled at ready",
      async () => !(await pivot.isDisabled().catch(() => true)),
      {
        timeoutMs: 90_000,
        intervalMs: 250,
      },
    );
    assertEquals(await disk.locator(".job-status").getAttribute("data-phase"), "ready");
    await disk.screenshot({ path: new URL("job-ready.png", SCREENSHOTS).pathname });
    await pivot.click();

    // The chain on the page now starts with the copy.
    await waitFor(
      "the chain to show the copy on top",
      async () =>
        (await disk.locator(".layer").first().getAttribute("data-path").catch(() => null)) === dest,
      {
        timeoutMs: 30_000,
      },
    );
    assertEquals(await disk.locator(".job").getAttribute("data-phase"), "pivoted");
    const xml = (await labVirsh("dumpxml", "--domain", dom.uuid)).stdout;
    assert(xml.includes(`<source file='${dest}'`), "libvirt runs the domain on the copy");
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
