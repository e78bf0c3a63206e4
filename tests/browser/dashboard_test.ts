/**
 * The dashboard in a real browser, against real libvirt, with the security layer on: the user
 * signs in through the login form first (an operator, as the README pictures show).
 */
import { assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI } from "../lab/lab.ts";
import { launchBrowser, pictureFolder } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("Chromium goes from the list to a lab domain's chain, top to base, and no script runs from a name", async () => {
  await using dom = await createLabDomain({
    name: `bbt-<img src=x onerror=alert(1)>-${crypto.randomUUID().slice(0, 8)}`,
    disks: [{ target: "vda", layers: 3 }, { target: "vdb", format: "raw", sizeMiB: 16 }],
  });
  await using pictures = await pictureFolder();
  const runner = new SpawnRunner({ uri: LAB_URI });
  await using server = await serveSecureApp(
    createServices(runner, { inventoryCacheMs: 0, monitor: { sampling: false, events: false } }),
  );
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    await logIn(page, server.url, TEST_USERS.operator);
    assertEquals(new URL(page.url()).pathname, "/");
    // The dashboard lists the domain; its page has the chains.
    await page.locator(`tr[data-domain="${dom.name}"] a`).click();
    await page.waitForURL((u) => u.pathname === `/domains/${encodeURIComponent(dom.name)}`);
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
    await card.screenshot({ path: pictures.path("dashboard.png") });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: pictures.path("dashboard-phone.png") });
  } finally {
    await browser.close();
  }
});
