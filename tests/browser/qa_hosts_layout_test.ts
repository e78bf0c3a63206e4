/**
 * What a first operator saw on several hosts, in Chromium with the security layer on, signed in
 * through the form: the host switcher lines up with the page instead of touching the window's
 * edge, the Migrate panel is a card whose form puts each label above its control, the all-hosts
 * page has its one h1 and the dashboard's table, and the page of a host whose libvirtd died names
 * that host's URI, keeps the switcher and offers all hosts rather than a link back into itself.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import type { Page } from "playwright-core";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { startLabHost } from "../lab/hosts.ts";
import { LAB_URI } from "../lab/exec.ts";
import { uniqueName } from "../lab/lab.ts";
import { waitFor } from "../lab/wait.ts";
import { launchBrowser } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

/** A computed style property of the first element matching `selector` (run in the page). */
function styleOf(page: Page, selector: string, property: string): Promise<string> {
  return page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)}))[${
      JSON.stringify(property)
    }]`,
  );
}

Deno.test({
  name: "Chromium: switcher aligned, Migrate form laid out, all hosts, a dead host's error page",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using a = await startLabHost({ name: "bbq5", number: 55 });
    await using b = await startLabHost({ name: "bbq6", number: 56 });
    await using dom = await a.createDomain({
      name: uniqueName("bbqa-"),
      disks: [{ target: "vda", layers: 1 }],
    });
    const registry = createHostRegistry({
      hosts: [{ name: "local", uri: LAB_URI }, { name: a.name, uri: a.uri }, {
        name: b.name,
        uri: b.uri,
      }],
      runnerFor: (spec) => new SpawnRunner({ uri: spec.uri, timeoutMs: 10_000 }),
      serviceOptions: () => ({ storageRoots: [] }),
      probeTimeoutMs: 2000,
      backoffMs: { initial: 30_000, max: 30_000 },
    });
    await registry.start();
    await using server = await serveSecureApp(registry.default.services, { hosts: registry });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(String(e)));
      await logIn(page, server.url, TEST_USERS.operator);

      // The switcher starts where the page's content starts (it touched the window's edge).
      const nav = await page.locator("#banners nav.host-switcher").boundingBox();
      const heading = await page.locator("main h1").first().boundingBox();
      assert(nav && heading);
      assert(Math.abs(nav.x - heading.x) <= 2, `switcher at x=${nav.x}, content at ${heading.x}`);

      // On a phone: nothing wider than the window, the switcher still where the content starts.
      await page.setViewportSize({ width: 400, height: 900 });
      assertEquals(await page.evaluate("document.documentElement.scrollWidth"), 400);
      const narrowNav = await page.locator("#banners nav.host-switcher").boundingBox();
      const narrowHeading = await page.locator("main h1").first().boundingBox();
      assert(narrowNav && narrowHeading);
      assert(
        Math.abs(narrowNav.x - narrowHeading.x) <= 2,
        `narrow: switcher at x=${narrowNav.x}, content at ${narrowHeading.x}`,
      );
      await page.setViewportSize({ width: 1280, height: 900 });

      // The Migrate panel: a card; each label above its control, the button styled.
      await page.goto(`${server.url}/hosts/${a.name}/domains/${dom.name}`);
      const panel = page.locator("section.migration-panel");
      await panel.locator("details.migrate").waitFor();
      assertEquals(await styleOf(page, "section.migration-panel", "borderTopWidth"), "1px");
      await panel.locator("summary").click();
      const label = panel.locator(".migrate-form > label").first();
      const select = panel.locator('select[name="to"]');
      const labelBox = await label.boundingBox();
      const selectBox = await select.boundingBox();
      assert(labelBox && selectBox);
      assert(
        selectBox.y >= labelBox.y + 10 && Math.abs(selectBox.x - labelBox.x) <= 2,
        `the target select sits beside its label: ${JSON.stringify({ labelBox, selectBox })}`,
      );
      const submit = panel.locator('.migrate-form button[type="submit"]');
      await submit.waitFor();
      assertEquals(
        await styleOf(page, '.migrate-form button[type="submit"]', "color"),
        "rgb(255, 255, 255)",
      );

      // All hosts: one h1, the dashboard's table.
      await page.goto(`${server.url}/hosts`);
      assertEquals(await page.locator("h1").count(), 1);
      await page.locator(`table.domain-table tr[data-domain="${dom.name}"] .state`).waitFor();

      // A host whose libvirtd died: its own URI in the header, the switcher, a way to the others.
      await b.killLibvirtd();
      await waitFor(`${b.name} to be seen down`, async () => {
        const r = await page.goto(`${server.url}/hosts/${b.name}`);
        return r?.status() === 503;
      }, { timeoutMs: 15_000, intervalMs: 300 });
      assertEquals(await page.locator("header .uri").innerText(), b.uri);
      await page.locator(`#banners nav.host-switcher a[data-host="${a.name}"]`).waitFor();
      assertMatch(await page.locator(".error-page").innerText(), /unreachable/);
      await page.locator(".error-page a", { hasText: "See all hosts" }).click();
      await page.waitForURL((u) => u.pathname === "/hosts");
      await page.locator(`[data-host-banner="${b.name}"]`).waitFor();
      assertEquals(problems, []);
    } finally {
      await browser.close();
      await registry.stop();
    }
  },
});
