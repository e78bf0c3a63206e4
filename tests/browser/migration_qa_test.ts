/**
 * The QA pass over the migration panel, in Chromium with security on, signed in through the
 * form: the target select (never the page's own host, the first answering host preselected, a
 * down host disabled with its reason), no "0 B of 0 B" before QEMU reports totals, Abort asking
 * first (dismissed: the migration goes on), and after a migration that lands the source page
 * saying where the domain went, with the link there, and the target's page where it came from.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { startMigrationPair } from "../lab/migration_pair.ts";
import { launchBrowser } from "../support/browser.ts";
import { serveSecureApp } from "../support/secure_app.ts";
import { openMigrationPanel } from "./migration_page.ts";

const UTC = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;

Deno.test({
  name: "Chromium: migration panel after QA — target select, starting…, Abort asks, where it went",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using lab = await startMigrationPair({
      a: { name: "bbx1", number: 81 },
      b: { name: "bbx2", number: 82 },
      prefix: "bbmp-",
      // dead is listed before b, and nothing listens there: offered disabled, with its reason.
      hosts: (a, b) => [
        { name: "a", uri: a.uri },
        { name: "dead", uri: "qemu+tcp://127.0.0.1:9/system" },
        { name: "b", uri: b.uri },
      ],
    });
    const { dom, registry } = lab;
    await registry.started("dead");
    await registry.get("dead")!.checkNow();
    assertEquals(registry.get("dead")!.reachable, false);
    await using server = await serveSecureApp(registry.default.services, { hosts: registry });
    const browser = await launchBrowser();
    try {
      const { page, problems, panel } = await openMigrationPanel(browser, server.url, dom.name);
      const select = panel.locator('form.migrate-form select[name="to"]');
      assertEquals(await select.inputValue(), "b", "the first other host that answers");
      const options = [];
      for (const o of await select.locator("option").all()) {
        options.push([await o.getAttribute("value"), await o.isDisabled()]);
      }
      assertEquals(options, [["dead", true], ["b", false]], "never a, the page's own host");
      assertMatch(
        await select.locator('option[value="dead"]').innerText(),
        /dead \(unreachable: .+\)/,
      );

      // Throttled, so there is time to look and to abort.
      await panel.locator('input[name="bandwidthMiB"]').fill("1");
      const answered = page.waitForResponse((r) => r.url().endsWith("/migrate"), {
        timeout: 30_000,
      });
      await panel.locator('form.migrate-form button[type="submit"]').click();
      await answered;
      const seen: string[] = [];
      for (let i = 0; i < 16; i++) {
        seen.push(
          await page.locator("section.migration-panel .migration-stats").innerText()
            .catch(() => ""),
        );
        await page.waitForTimeout(250);
      }
      for (const text of seen) assert(!text.includes("0 B of 0 B"), `card read: ${text}`);
      assert(seen.some((t) => /disk rate (measuring…|[\d.]+ [KM]iB\/s)/.test(t)), seen.join(" | "));
      console.log(`card samples: ${seen.filter((t) => t).slice(-4).join(" | ")}`);

      // Abort asks first; dismissed, nothing is sent and the migration goes on.
      const questions: string[] = [];
      let posted = 0;
      page.on("request", (r) => r.url().endsWith("/migration/abort") && posted++);
      page.once("dialog", (d) => (questions.push(d.message()), d.dismiss()));
      await page.locator("button.migration-abort").click();
      await page.waitForTimeout(1500);
      assertEquals(posted, 0);
      assertMatch(questions[0], /^Abort the migration of .* to b\? .* keeps running on a\.$/);
      assertEquals(
        await page.locator("section.migration-panel").getAttribute("data-phase"),
        "copying",
      );
      page.once("dialog", (d) => d.accept());
      await page.locator("button.migration-abort").click();
      await page.locator('section.migration-panel[data-phase="aborted"]').waitFor({
        timeout: 20_000,
      });
      assertEquals(posted, 1);

      // Unthrottled, it lands: the source page says where, and links there.
      await page.locator("section.migration-panel details.migrate summary").click();
      await page.locator('section.migration-panel form.migrate-form button[type="submit"]')
        .click();
      await page.locator('section.migration-panel[data-phase="completed"]').waitFor({
        timeout: 60_000,
      });
      const where = page.locator("section.migration-panel .migration-whereabouts");
      assertMatch(await where.innerText(), new RegExp(`^Migrated to .* on b at ${UTC.source}\\.$`));
      const href = `/hosts/b/domains/${encodeURIComponent(dom.name)}`;
      assertEquals(await where.locator("a").getAttribute("href"), href);
      // The disk's card as its job poll redraws it once the domain left: where it went, not
      // "no longer part of this domain".
      const redrawn = await page.request.get(
        `${server.url}/ui/domains/${dom.uuid}/disks/vda/job/status?seen=copying`,
      );
      const card = await redrawn.text();
      assertMatch(card, new RegExp(`Migrated to <a href="${href}">`));
      assert(!card.includes("no longer part of this domain"), card);

      await where.locator("a").click();
      await page.waitForURL((u) => u.pathname === href, { timeout: 15_000 });
      await page.locator('section.migration-panel[data-phase="completed"]').waitFor();
      assertMatch(
        await page.locator("section.migration-panel .migration-whereabouts").innerText(),
        new RegExp(`^Arrived from a at ${UTC.source}\\.$`),
      );
      assertEquals(problems, []);
    } finally {
      await browser.close();
    }
  },
});
