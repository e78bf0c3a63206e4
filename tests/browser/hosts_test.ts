/**
 * Several hosts in Chromium, security on, signed in through the form: the host switcher on the
 * dashboard, the all-hosts page with its host column, a host's own dashboard whose links stay on
 * that host, and the banner of a host whose libvirtd was killed, saying what failed.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { createHostRegistry } from "../../server/hosts/registry.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { startLabHost } from "../lab/hosts.ts";
import { LAB_URI } from "../lab/exec.ts";
import { waitFor } from "../lab/wait.ts";
import { launchBrowser } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test({
  name: "Chromium: host switcher, all-hosts list with a host column, a dead host's banner",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using a = await startLabHost({ name: "bbh5", number: 5 });
    await using b = await startLabHost({ name: "bbh6", number: 6 });
    await using domA = await a.createDomain({ disks: [{ target: "vda", layers: 2 }] });
    await using domB = await b.createDomain({ disks: [{ target: "vda", layers: 1 }] });
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
      assertEquals(new URL(page.url()).pathname, "/");

      // The switcher on the default dashboard: every host, the current one marked.
      const switcher = page.locator("nav.host-switcher");
      await switcher.waitFor();
      assertEquals(
        await switcher.locator("a[data-host]").evaluateAll((links) =>
          links.map((l) => l.getAttribute("data-host"))
        ),
        ["local", "bbh5", "bbh6"],
      );
      assertEquals(
        await switcher.locator('a[aria-current="page"]').getAttribute("data-host"),
        "local",
      );

      // All hosts: one list with a host column.
      await switcher.locator('a[href="/hosts"]').click();
      await page.waitForURL((u) => u.pathname === "/hosts");
      const rowA = page.locator(`tr[data-host="bbh5"][data-domain="${domA.name}"]`);
      await rowA.waitFor();
      assertEquals((await rowA.locator("td").first().innerText()).trim(), "bbh5");
      await page.locator(`tr[data-host="bbh6"][data-domain="${domB.name}"]`).waitFor();

      // A host's own dashboard; its domain link stays on the host and opens the domain page.
      await page.locator('nav.host-switcher a[data-host="bbh5"]').first().click();
      await page.waitForURL((u) => u.pathname === "/hosts/bbh5");
      const link = page.locator(`a[href="/hosts/bbh5/domains/${domA.name}"]`).first();
      await link.waitFor();
      await link.click();
      await page.waitForURL((u) => u.pathname === `/hosts/bbh5/domains/${domA.name}`);
      assertMatch(await page.locator("main").innerText(), /vda/);

      // The terminal on bbh5's page runs on bbh5 and says so; its selector offers every host.
      await page.locator("#terminal summary").click();
      assertEquals(
        await page.locator("nav.term-hosts a[data-host]").evaluateAll((links) =>
          links.map((l) => l.getAttribute("data-host"))
        ),
        ["local", "bbh5", "bbh6"],
      );
      await page.locator("#terminal-input").fill("list --all");
      await page.locator("#terminal-input").press("Enter");
      const entry = page.locator("#terminal-output .term-entry").last();
      await entry.waitFor();
      const echoed = await entry.innerText();
      assertMatch(echoed, /virsh -c qemu\+tcp:\/\/10\.77\.5\.2\/system list --all/);
      assert(echoed.includes(domA.name), echoed);
      assert(!echoed.includes(domB.name), echoed);

      // Kill bbh6's libvirtd: its banner says what failed; the others still list.
      await b.killLibvirtd();
      await waitFor("bbh6 to be seen down", async () => {
        await page.goto(`${server.url}/hosts`);
        return await page.locator('[data-host-banner="bbh6"]').count() > 0;
      }, { timeoutMs: 15_000, intervalMs: 300 });
      const banner = await page.locator('[data-host-banner="bbh6"]').innerText();
      assertMatch(banner, /Host bbh6 \(qemu\+tcp:\/\/10\.77\.6\.2\/system\) is not answering/);
      assertMatch(banner, /Connection refused|socket is closed|Cannot recv data/);
      assertMatch(banner, /Unreachable since .* Next retry at/);
      assertEquals(await page.locator('[data-host-banner="bbh5"]').count(), 0);
      await rowA.waitFor();
      const t0 = performance.now();
      await page.goto(`${server.url}/`);
      const ms = performance.now() - t0;
      assert(ms < 2000, `the default dashboard took ${ms} ms with bbh6 down`);
      await page.locator('[data-host-banner="bbh6"]').waitFor();
      assertMatch(
        await page.locator('nav.host-switcher a[data-host="bbh6"]').innerText(),
        /\(down\)/,
      );
      if (Deno.env.get("BLOCKBOARD_DOCS_PICTURES")) {
        await page.goto(`${server.url}/hosts`);
        await page.screenshot({ path: "/tmp/bbh-hosts.png", fullPage: true });
      }
      assertEquals(problems, []);
    } finally {
      await browser.close();
      await registry.stop();
    }
  },
});
