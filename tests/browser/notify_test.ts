/**
 * Browser notifications in Chromium, security on, on a REAL lab copy: nothing asks for
 * permission on load; the permission is asked on the click; "Notify me" on a running copy's card,
 * then the tab goes to the background, the copy becomes ready, and the notification arrives.
 * `window.Notification` is wrapped (not replaced) by an init script that records each call.
 */
import { assert, assertEquals } from "@std/assert";
import type { BrowserContext, Page } from "playwright-core";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import {
  createLabDomain,
  LAB_URI,
  labOutsideCopy,
  labVirsh,
  uniqueName,
  waitFor,
} from "../lab/lab.ts";
import { launchBrowser, recordProblems } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

/** Wraps the real Notification: every notification and permission request is recorded. */
const RECORD_NOTIFICATIONS = `(() => {
  const Real = globalThis.Notification;
  globalThis.__notes = [];
  globalThis.__asked = 0;
  if (!Real) return;
  class Recorded extends Real {
    constructor(title, options) {
      globalThis.__notes.push({
        title,
        body: options && options.body,
        visibility: document.visibilityState,
      });
      super(title, options);
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => {
    globalThis.__asked++;
    return Real.requestPermission(...args);
  };
  globalThis.Notification = Recorded;
})();`;

interface Note {
  title: string;
  body: string;
  visibility: string;
}

async function notes(page: Page): Promise<Note[]> {
  return await page.evaluate("globalThis.__notes") as Note[];
}

async function recordingPage(
  context: BrowserContext,
): Promise<{ page: Page; problems: string[] }> {
  await context.addInitScript(RECORD_NOTIFICATIONS);
  const page = await context.newPage();
  return { page, problems: recordProblems(page) };
}

Deno.test("Chromium: permission is asked on the click only, never on load", async () => {
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { monitor: { sampling: false, events: false } });
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const { page, problems } = await recordingPage(await browser.newContext());
    await logIn(page, server.url, TEST_USERS.viewer);
    const all = page.locator("button[data-notify-all]");
    await all.waitFor({ state: "visible" });
    assertEquals(await page.evaluate("Notification.permission"), "default");
    assertEquals(await page.evaluate("globalThis.__asked"), 0, "nothing asked on load");
    await all.click();
    await waitFor(
      "the permission request",
      async () => await page.evaluate("globalThis.__asked") === 1,
      { timeoutMs: 5_000 },
    );
    // Headless Chromium answers without a person: not granted, so the choice stays off.
    assertEquals(await all.getAttribute("aria-pressed"), "false");
    assertEquals(await page.evaluate("localStorage.getItem('blockboard.notify.any')"), null);
    assertEquals(problems, []);
  } finally {
    await browser.close();
  }
});

Deno.test("Chromium: 'Notify me' on a real copy; it becomes ready with the tab in the background, and the notification arrives", async () => {
  await using dom = await createLabDomain({
    name: uniqueName("bbadm-"),
    disks: [{ target: "vda", layers: 2, sizeMiB: 64 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: [dom.dir] });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const { token } = await server.security.tokens.create("notify-test", "operator");
  const api = async (path: string, body: unknown) => {
    const res = await fetch(
      `${server.url}/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vda${path}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      },
    );
    const text = await res.text();
    assert(res.ok, `${path}: ${res.status} ${text}`);
  };
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    await context.grantPermissions(["notifications"], { origin: server.url });
    const { page, problems } = await recordingPage(context);
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);

    // A throttled copy, so it is still running when the operator asks to be told.
    await api("/copy", {
      dest: `${dom.dir}/notify-copy.qcow2`,
      format: "qcow2",
      bandwidthBytes: 1048576,
    });
    const card = page.locator(`#job-${dom.uuid}-vda`);
    await card.locator('.job-status[data-phase="running"]').waitFor({ timeout: 10_000 });
    const notify = card.locator(`button[data-notify-job^="${dom.uuid}/vda@"]`);
    await notify.click();
    await card.locator('button[data-notify-job][aria-pressed="true"]').waitFor();
    assertEquals(await page.evaluate("globalThis.__asked"), 0, "already granted: not asked");

    // Another tab in front. Headless Chromium keeps every tab "visible" (neither a tab in front
    // nor a minimized window changes it), so the background is emulated as the page sees it:
    // hidden, with the visibilitychange event. Nothing in blockboard looks at visibility, nor
    // does htmx: the polls and the notification run the same.
    // (Not a blockboard page: another blockboard tab would notify too, with the same tag.)
    const front = await context.newPage();
    await front.goto("about:blank");
    await front.bringToFront();
    await page.evaluate(`(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      document.dispatchEvent(new Event("visibilitychange"));
    })()`);
    assertEquals(await page.evaluate("document.visibilityState"), "hidden");

    // Lift the limit: the copy catches up and becomes ready.
    await api("/job/bandwidth", { bandwidthBytes: 0 });
    await waitFor(
      "the ready notification",
      async () => (await notes(page)).some((n) => n.title.endsWith("is ready")),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    const ready = (await notes(page)).filter((n) => n.title.endsWith("is ready"));
    assertEquals(ready.length, 1, JSON.stringify(await notes(page)));
    assertEquals(ready[0].title, `Copy on ${dom.name} vda is ready`);
    assertEquals(ready[0].visibility, "hidden", "arrived while the tab was in the background");

    // The end is told too, and then the job is no longer watched.
    await api("/job/abort", { mode: "keep-copy" });
    await waitFor("the end notification", async () => (await notes(page)).length >= 2, {
      timeoutMs: 30_000,
    }).catch(async (e) => {
      const watched = await page.evaluate("localStorage.getItem('blockboard.notify.watched')");
      const attrs = await page.locator("[data-job-key]").evaluateAll((els) =>
        els.map((el) => [...el.attributes].map((a) => `${a.name}=${a.value}`).join(" "))
      );
      throw new Error(
        `${e}; notes ${JSON.stringify(await notes(page))}; watched ${watched}; ${attrs.join("\n")}`,
      );
    });
    assertEquals((await notes(page))[1].title, `Copy on ${dom.name} vda ended`);
    assertEquals(
      await page.evaluate("localStorage.getItem('blockboard.notify.watched')"),
      "[]",
    );
    assertEquals((await notes(page)).length, 2, JSON.stringify(await notes(page)));
    assertEquals(problems, []);
  } finally {
    await browser.close();
    await services.monitor.stop();
    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
  }
});

Deno.test("Chromium: 'Notify for any job' on the dashboard tells a real copy's end (from the change feed)", async () => {
  await using dom = await createLabDomain({
    name: uniqueName("bbadm-"),
    disks: [{ target: "vda", layers: 2, sizeMiB: 64 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: [dom.dir] });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    await context.grantPermissions(["notifications"], { origin: server.url });
    const { page, problems } = await recordingPage(context);
    await logIn(page, server.url, TEST_USERS.viewer);
    await page.locator("button[data-notify-all]").click();
    await page.locator('button[data-notify-all][aria-pressed="true"]').waitFor();
    assertEquals(await page.evaluate("localStorage.getItem('blockboard.notify.any')"), "1");

    // Started and ended outside blockboard: the page learns both from its polls.
    await labOutsideCopy(dom.uuid, "vda", `${dom.dir}/any-copy.qcow2`);
    const strip = page.locator(`li.strip-job[data-job-key="${dom.uuid}/vda"]`);
    await strip.waitFor({ timeout: 10_000 });
    assertEquals(await strip.locator("button[data-notify-job]").isVisible(), true);
    const abort = await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
    assertEquals(abort.code, 0, abort.stderr);
    // Any job on the host: other lab domains' jobs may be told too; ours must be, once.
    const ours = async () => (await notes(page)).filter((n) => n.title.includes(dom.name));
    await waitFor("the end notification", async () => (await ours()).length > 0, {
      timeoutMs: 15_000,
    });
    assertEquals((await ours()).map((n) => n.title), [`Copy on ${dom.name} vda was canceled`]);
    assertEquals(problems, []);
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
