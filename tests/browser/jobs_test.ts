/**
 * A block copy driven from the page in Chromium, against a real lab VM, with the security layer
 * on: an operator signs in through the login form, starts a throttled copy, watches the (named)
 * bar advance, sees Pivot enabled at ready, pivots, sees the chain change, and logs out — after
 * which the old session cookie opens nothing.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_ROOT, LAB_URI, labVirsh, waitFor } from "../lab/lab.ts";
import { launchBrowser, pictureFolder } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("operator: log in, copy from the page, pivot at ready, log out; the session is dead", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 3, sizeMiB: 64 }] });
  await using pictures = await pictureFolder();
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: [LAB_ROOT] });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  const dest = `${dom.dir}/vda/copy.qcow2`;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);
    assertEquals(new URL(page.url()).pathname, `/domains/${encodeURIComponent(dom.name)}`);
    assertEquals(await page.locator(".user-name").innerText(), TEST_USERS.operator.name);

    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator("details.start-jobs > summary").click();
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
    // The bar is named after its job, so a screen reader can tell several bars apart.
    const bar = page.getByRole("progressbar", {
      name: `Copy progress of domain ${dom.name}, disk vda`,
    });
    assertEquals(await bar.count(), 1);
    // The bar advances: two different percentages seen while running.
    const seen = new Set<string>();
    await waitFor("the progress bar to advance", async () => {
      const phase = await status.getAttribute("data-phase").catch(() => null);
      const pct = await status.getAttribute("data-percent").catch(() => null);
      if (phase === "running" && pct) seen.add(pct);
      return seen.size >= 2;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    await disk.screenshot({ path: pictures.path("job-running.png") });

    const pivot = disk.locator('button[data-action="pivot"]');
    await waitFor(
      "Pivot to become enabled at ready",
      async () => !(await pivot.isDisabled().catch(() => true)),
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    assertEquals(await disk.locator(".job-status").getAttribute("data-phase"), "ready");
    await disk.screenshot({ path: pictures.path("job-ready.png") });
    await pivot.click();

    // The chain on the page now starts with the copy.
    await waitFor(
      "the chain to show the copy on top",
      async () =>
        (await disk.locator(".layer").first().getAttribute("data-path").catch(() => null)) === dest,
      { timeoutMs: 30_000 },
    );
    assertEquals(await disk.locator(".job").getAttribute("data-phase"), "pivoted");
    const xml = (await labVirsh("dumpxml", "--domain", dom.uuid)).stdout;
    assert(xml.includes(`<source file='${dest}'`), "libvirt runs the domain on the copy");
    const pivots = server.security.audit.query({ user: TEST_USERS.operator.name }).entries
      .filter((e) => e.argv?.includes("--pivot"));
    assertEquals(pivots.length, 1, "the pivot is audited under the operator's name");

    // Log out from the header; the old cookie must open nothing afterwards.
    const [cookie] = (await context.cookies(server.url)).filter((c) => c.name === "bb_session");
    assert(cookie, "signed in with a session cookie");
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/login"),
      page.locator("form.logout button").click(),
    ]);
    assertEquals(await page.locator("form.logout").count(), 0);
    const replayApi = await fetch(`${server.url}/api/v1/domains`, {
      headers: { cookie: `bb_session=${cookie.value}` },
    });
    await replayApi.body?.cancel();
    assertEquals(replayApi.status, 401, "the API refuses the logged-out session");
    const replayPage = await fetch(`${server.url}/`, {
      headers: { cookie: `bb_session=${cookie.value}` },
      redirect: "manual",
    });
    await replayPage.body?.cancel();
    assertEquals(replayPage.status, 303);
    assertEquals(replayPage.headers.get("location"), "/login");
    const logout = server.security.audit.query({ action: "logout" }).entries;
    assertEquals(logout.map((e) => [e.user, e.result]), [[TEST_USERS.operator.name, "ok"]]);
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
