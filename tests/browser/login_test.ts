/**
 * Signing in with the security layer on, in Chromium: a wrong password gets a clear message on
 * the styled login page; a viewer sees a running job but no control to change it; every page has
 * one h1 and a skip link that moves keyboard focus to the content.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import {
  createLabDomain,
  LAB_ROOT,
  LAB_URI,
  labOutsideCopy,
  labVirsh,
  waitFor,
} from "../lab/lab.ts";
import { launchBrowser } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("wrong password: the styled login page says so, and nothing is signed in", async () => {
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { monitor: { sampling: false, events: false } });
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    assertEquals(new URL(page.url()).pathname, "/login");
    await page.locator('input[name="username"]').fill(TEST_USERS.operator.name);
    await page.locator('input[name="password"]').fill("not-the-password");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/login") && r.request().method() === "POST"),
      page.locator('form[action="/login"] button[type="submit"]').click(),
    ]);
    assertEquals(answer.status(), 401);
    const alert = page.getByRole("alert");
    assertEquals(await alert.innerText(), "Wrong user name or password.");
    // Styled like the rest of the app: our stylesheet applies (card, error colour).
    const look = await page.evaluate(`(() => {
      const card = getComputedStyle(document.querySelector(".login"));
      const message = getComputedStyle(document.querySelector(".login .error-message"));
      return { card: card.backgroundColor, radius: card.borderRadius, message: message.color };
    })()`);
    assertEquals(look, { card: "rgb(255, 255, 255)", radius: "8px", message: "rgb(164, 38, 44)" });
    assertEquals(await page.locator('input[name="username"]').inputValue(), "otto");
    assertEquals((await page.context().cookies()).filter((c) => c.name === "bb_session"), []);
    const refused = server.security.audit.query({ action: "login", result: "refused" }).entries;
    assertEquals(refused.map((e) => e.user), ["otto"]);
  } finally {
    await browser.close();
  }
});

Deno.test("viewer: sees a running job and its bar, but no control to start or change a job", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 2, sizeMiB: 64 }] });
  // A job started outside blockboard, throttled so it is still running while the page is read.
  await labOutsideCopy(dom.uuid, "vda", `${dom.dir}/viewer-copy.qcow2`, { transientJob: true });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: [LAB_ROOT] });
  await services.monitor.start(); // adopts the job
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await logIn(page, server.url, TEST_USERS.viewer, `/domains/${encodeURIComponent(dom.name)}`);
    assertEquals(await page.locator(".user-role").innerText(), "(viewer)");
    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator(".job-status").waitFor({ timeout: 15_000 });
    const bar = page.getByRole("progressbar", {
      name: `Copy progress of domain ${dom.name}, disk vda`,
    });
    assertEquals(await bar.count(), 1);
    assertEquals(await page.locator("button[data-action]").count(), 0, "no pivot/keep/abort");
    assertEquals(await page.locator(".bandwidth-form").count(), 0);
    assertEquals(await page.locator(".start-jobs, form.start-copy").count(), 0, "no start forms");
    assertEquals(await page.locator('a[href="/audit"]').count(), 0, "no audit link");
  } finally {
    await browser.close();
    await services.monitor.stop();
    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
  }
});

Deno.test("keyboard: one h1 per page; Tab reaches the skip link first, Enter moves focus to the content", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 1 }] });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, {
    inventoryCacheMs: 0,
    monitor: { sampling: false, events: false },
  });
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/login`);
    assertEquals(await page.locator("h1").count(), 1, "login page");
    await logIn(page, server.url, TEST_USERS.operator);
    for (const path of ["/", `/domains/${encodeURIComponent(dom.name)}`, "/audit", "/nowhere"]) {
      await page.goto(`${server.url}${path}`);
      assertEquals(await page.locator("h1").count(), 1, path);
    }
    await page.goto(`${server.url}/`);
    const skip = page.locator("a.skip-link");
    // Hidden until focused, then on screen.
    assert(((await skip.boundingBox())?.y ?? 0) < 0, "off screen before focus");
    await page.keyboard.press("Tab");
    assertEquals(await page.evaluate("document.activeElement.textContent"), "Skip to content");
    assert(((await skip.boundingBox())?.y ?? -1) >= 0, "visible once focused");
    await page.keyboard.press("Enter");
    assertEquals(await page.evaluate("document.activeElement.id"), "content");
    // The event log takes keyboard focus (so it can be scrolled with the arrow keys).
    await page.locator(".term-summary").click();
    // Opening the panel focuses its input (on `toggle`, a task later): wait for that first, or
    // it takes the focus back from the list.
    await waitFor(
      "the terminal input to take the focus",
      async () =>
        await page.evaluate('document.activeElement?.classList.contains("term-input") === true'),
    );
    await page.locator(".term-events-list").focus();
    assertEquals(
      await page.evaluate('document.activeElement.getAttribute("role")'),
      "log",
    );
  } finally {
    await browser.close();
  }
});
