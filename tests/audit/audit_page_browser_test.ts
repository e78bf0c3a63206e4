/// <reference lib="dom" />
/**
 * The audit page in Chromium at phone width (390px): entries become stacked cards and nothing
 * overflows horizontally. The screenshot goes to a temporary directory, or to
 * `$BB_AUDIT_SCREENSHOT_DIR` when set (to look at it).
 */
import { assert, assertEquals } from "@std/assert";
import { world } from "../support/app_world.ts";
import { launchBrowser, serveOnLoopback } from "../support/browser.ts";
import { HOST } from "../support/app_world.ts";

Deno.test("Chromium: the audit page at 390px stacks entries; no horizontal overflow at 390 or 1280px", async () => {
  const w = await world();
  const keep = Deno.env.get("BB_AUDIT_SCREENSHOT_DIR");
  const dir = keep ?? await Deno.makeTempDir({ prefix: "bb-audit-shot-" });
  try {
    const long = `bbdemo-${"x".repeat(60)}`;
    w.security.audit.record({
      user: "operator",
      role: "operator",
      client: "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
      action: `POST /api/v1/domains/${long}/disks/vda/copy (blockcopy)`,
      argv: [
        "-c",
        "qemu:///system",
        "blockcopy",
        "--domain",
        long,
        "--path",
        "vda",
        "--dest",
        `/var/lib/libvirt/images/${"deep/".repeat(8)}copy-of-${long}.qcow2`,
        "--format",
        "qcow2",
        "--transient-job",
      ],
      result: "failed",
      message: `error: ${"a-very-long-unbroken-libvirt-message-".repeat(4)}`,
      domain: long,
    });
    for (let i = 0; i < 30; i++) {
      w.security.audit.recordRefusal({
        user: "anonymous",
        role: "none",
        client: "198.51.100.7",
        action: "POST /api/v1/domains/<img src=x onerror=alert(1)>/disks/vda/pull",
        result: "refused",
        message: "401 sign in first",
        domain: "<img src=x onerror=alert(1)>",
      });
      w.clock.advance(1000);
    }
    w.security.audit.record({
      user: "admin",
      role: "admin",
      client: "192.0.2.9",
      action: "login",
      result: "ok",
    });
    const as = await w.login("operator");
    // The app only serves the Host it was built for; the browser reaches it on a free port.
    await using server = serveOnLoopback((req) => {
      const headers = new Headers(req.headers);
      headers.set("host", HOST);
      return w.app.fetch(new Request(req.url, { method: req.method, headers }));
    });
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const [name, value] = as.cookie.split("=");
      await context.addCookies([{ name, value, url: server.url }]);
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss();
      });
      await page.goto(`${server.url}/audit`);
      await page.locator(".audit-table").waitFor();
      const layout = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: globalThis.innerWidth,
        thead: getComputedStyle(document.querySelector(".audit-table thead")!).display,
        row: getComputedStyle(document.querySelector(".audit-table tbody tr")!).display,
        rows: document.querySelectorAll(".audit-table tbody tr").length,
      }));
      await page.screenshot({ path: `${dir}/audit-390.png`, fullPage: true });
      assert(
        layout.scrollWidth <= layout.innerWidth,
        `horizontal overflow: ${layout.scrollWidth} > ${layout.innerWidth}`,
      );
      assertEquals(layout.thead, "none", "no table header on a phone");
      assertEquals(layout.row, "block", "each entry is a stacked card");
      assertEquals(layout.rows, 3);
      assertEquals(
        await page.locator(".audit-count").first().innerText(),
        "× 30",
        "the folded refusal shows its count",
      );
      // On a wide screen it stays a table, still without horizontal scrolling.
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: `${dir}/audit-1280.png`, fullPage: true });
      const wide = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        row: getComputedStyle(document.querySelector(".audit-table tbody tr")!).display,
      }));
      assertEquals(wide, { scrollWidth: 1280, row: "table-row" });
      assertEquals(dialogs, []);
    } finally {
      await browser.close();
    }
  } finally {
    if (!keep) await Deno.remove(dir, { recursive: true });
    await w.cleanup();
  }
});
