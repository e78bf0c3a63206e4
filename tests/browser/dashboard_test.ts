/**
 * The dashboard in a real browser, against real libvirt.
 */
import { assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI } from "../lab/lab.ts";
import { launchBrowser, serveOnLoopback } from "../support/browser.ts";

const SCREENSHOTS = new URL("../../docs/", import.meta.url);

Deno.test("Chromium shows a lab domain's chain, top to base, and no script runs from a name", async () => {
  await using dom = await createLabDomain({
    name: `bbt-<img src=x onerror=alert(1)>-${crypto.randomUUID().slice(0, 8)}`,
    disks: [{ target: "vda", layers: 3 }, { target: "vdb", format: "raw", sizeMiB: 16 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const app = createApp(
    createServices(runner, { inventoryCacheMs: 0, monitor: { sampling: false, events: false } }),
  );
  await using server = serveOnLoopback(app.fetch);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    await page.goto(`${server.url}/`);
    const card = page.locator(`section.domain[data-uuid="${dom.uuid}"]`);
    await card.waitFor();
    assertEquals(await card.locator(".domain-name").innerText(), dom.name);
    const layers = card.locator(`article[data-target="vda"] .layer`);
    assertEquals(await layers.count(), 3);
    const paths = await layers.evaluateAll((els) => els.map((e) => e.getAttribute("data-path")));
    assertEquals(paths, dom.disks[0].chain);
    assertEquals(await layers.first().locator(".layer-role").innerText(), "ACTIVE");
    assertEquals(await layers.last().locator(".layer-role").innerText(), "BASE");
    assertEquals(await card.locator(`article[data-target="vdb"] .fmt`).first().innerText(), "raw");
    assertEquals(dialogs, []);
    await card.scrollIntoViewIfNeeded();
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    await card.screenshot({ path: new URL("dashboard.png", SCREENSHOTS).pathname });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: new URL("dashboard-phone.png", SCREENSHOTS).pathname });
  } finally {
    await browser.close();
  }
});
