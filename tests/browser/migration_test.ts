/**
 * The Migrate form and the progress card in Chromium, security on, signed in through the form:
 * a throttled migration between two namespaced lab hosts shows its figures within a second and
 * is aborted from the card (the domain stays running on the source); a second one completes and
 * the domain's page on the target says it arrived.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { startMigrationPair } from "../lab/migration_pair.ts";
import { waitFor } from "../lab/wait.ts";
import { launchBrowser } from "../support/browser.ts";
import { serveSecureApp } from "../support/secure_app.ts";
import { openMigrationPanel } from "./migration_page.ts";

Deno.test({
  name:
    "Chromium: Migrate form, progress card polled once a second, Abort, then a migration that lands",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using lab = await startMigrationPair({
      a: { name: "bbm4", number: 14 },
      b: { name: "bbm5", number: 15 },
      prefix: "bbmig-",
    });
    const { a, dom, registry } = lab;
    await using server = await serveSecureApp(registry.default.services, { hosts: registry });
    const browser = await launchBrowser();
    try {
      const { page, problems, panel } = await openMigrationPanel(browser, server.url, dom.name);
      const form = panel.locator("form.migrate-form");
      await form.locator('select[name="to"]').selectOption("b");
      await form.locator('input[name="bandwidthMiB"]').fill("1");
      // The pre-flight runs before the start answers (a fresh host's first domcapabilities
      // probes QEMU for seconds); the migration starts with that answer.
      const answered = page.waitForResponse((r) => r.url().endsWith("/migrate"), {
        timeout: 30_000,
      });
      await form.locator('button[type="submit"]').click();
      await answered;
      const started = performance.now();

      // The card: copying, with its figures, within a second of the start.
      await page.locator('section.migration-panel[data-phase="copying"] .migration-stage')
        .waitFor({ timeout: 10_000 });
      const seen = performance.now() - started;
      // "starting…" until QEMU reports totals, then the bytes (polled, no reload).
      await page.locator("section.migration-panel .migration-remaining", {
        hasText: /remaining \d/,
      }).waitFor({ timeout: 10_000 });
      const card = await page.locator("section.migration-panel").innerText();
      assertMatch(card, /a → b/);
      assertMatch(card, /ETA/);
      assertMatch(card, /dirty rate/);
      assertMatch(card, /limit 1 MiB\/s/);
      assert(seen <= 1000, `the card showed figures ${seen} ms after the migration started`);
      // Polled: elapsed figures move without a reload.
      const first = await page.locator("section.migration-panel").getAttribute("data-phase");
      assertEquals(first, "copying");

      page.once("dialog", (d) => d.accept()); // Abort asks first
      await page.locator("button.migration-abort").click();
      await page.locator('section.migration-panel[data-phase="aborted"]').waitFor({
        timeout: 20_000,
      });
      assertMatch(
        await page.locator("section.migration-panel").innerText(),
        /aborted: .* stays on a, running/,
      );
      assertEquals((await a.virsh("domstate", "--domain", dom.uuid)).stdout.trim(), "running");

      // Again, unthrottled: it lands on b; b's page of the domain says it arrived.
      await page.locator("section.migration-panel details.migrate summary").click();
      await page.locator('section.migration-panel select[name="to"]').selectOption("b");
      await page.locator('section.migration-panel form.migrate-form button[type="submit"]')
        .click();
      await page.locator('section.migration-panel[data-phase="completed"]').waitFor({
        timeout: 60_000,
      });
      assertMatch(
        await page.locator("section.migration-panel").innerText(),
        /completed: .* runs on b and is no longer defined on a/,
      );
      await waitFor("b's inventory to list the domain", async () => {
        const r = await page.goto(`${server.url}/hosts/b/domains/${encodeURIComponent(dom.name)}`);
        return r?.status() === 200;
      }, { timeoutMs: 15_000, intervalMs: 500 });
      await page.locator('section.migration-panel[data-phase="completed"]').waitFor();
      assertMatch(await page.locator("section.migration-panel").innerText(), /Arrived from a at/);
      // The domain's job history on b lists the migration that landed, like a block job.
      const rows = page.locator("details.recent-jobs tr[data-migration]");
      assertEquals(await rows.count(), 1);
      assertMatch(await rows.first().textContent() ?? "", /^migration a → bcompleted/);
      assertEquals(problems, []);
    } finally {
      await browser.close();
    }
  },
});
