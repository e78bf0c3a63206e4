/**
 * The dashboard list in Chromium, against real libvirt, with the security layer on: typing in the
 * search box narrows the list without a reload (and puts the query in the URL), the job filter
 * keeps only the busy domain, and the "jobs running now" strip shows a throttled copy on a lab VM,
 * then drops it by itself once the copy is aborted.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labVirsh, waitFor } from "../lab/lab.ts";
import { launchBrowser, recordProblems } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";
import { isActivePhase } from "../../server/jobs/model.ts";

Deno.test("Chromium: search narrows the list without reload; the jobs strip shows a running copy", async () => {
  const prefix = `bbdl-${crypto.randomUUID().slice(0, 6)}`;
  await using idle = await createLabDomain({ name: `${prefix}-2` });
  await using busy = await createLabDomain({
    name: `${prefix}-10`,
    disks: [{ target: "vda", layers: 2, sizeMiB: 64 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { storageRoots: [busy.dir] });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const copy = await labVirsh(
      ...["blockcopy", "--domain", busy.uuid, "--path", "vda"],
      ...["--dest", `${busy.dir}/vda/strip.qcow2`, "--format", "qcow2"],
      ...["--bandwidth", "1048576", "--bytes"],
    );
    assertEquals(copy.code, 0, copy.stderr);
    await waitFor("the monitor to see the copy", () => {
      const job = services.monitor.getJob(busy.uuid, "vda");
      return Promise.resolve(job && isActivePhase(job.phase) ? job : null);
    }, { timeoutMs: 10_000, intervalMs: 100 });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = recordProblems(page);
    // Any failed request but the browser's own favicon probe (the app serves none).
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) {
        problems.push(`${r.status()} ${r.url()}`);
      }
    });
    await logIn(page, server.url, TEST_USERS.operator);
    assertEquals(new URL(page.url()).pathname, "/");

    // The strip: the copy, its disk, type, phase and percent, linking to the domain page.
    const stripped = page.locator(`li.strip-job[data-uuid="${busy.uuid}"][data-target="vda"]`);
    await stripped.waitFor({ timeout: 5_000 });
    const text = await stripped.innerText();
    for (const part of [busy.name, "vda", "copy", "running", "%"]) {
      assert(text.includes(part), `${part} in ${JSON.stringify(text)}`);
    }
    assertEquals(
      await stripped.locator("a").getAttribute("href"),
      `/domains/${encodeURIComponent(busy.name)}`,
    );

    // Typing narrows the list; a reload would wipe the mark.
    await page.evaluate("document.body.setAttribute('data-test-mark', 'kept')");
    const rows = page.locator("#domain-results tbody tr");
    const names = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-domain")));
    const search = page.locator('input[name="q"]');
    await search.pressSequentially(prefix, { delay: 20 });
    await waitFor("the list to narrow to the prefix", async () => (await names()).length === 2, {
      timeoutMs: 5_000,
      intervalMs: 100,
    });
    assertEquals(await names(), [idle.name, busy.name], "natural order: -2 before -10");
    await search.pressSequentially("-1", { delay: 20 });
    await waitFor("the list to narrow to one", async () => (await names()).length === 1, {
      timeoutMs: 5_000,
      intervalMs: 100,
    });
    assertEquals(await names(), [busy.name]);
    assertEquals(await page.locator("body").getAttribute("data-test-mark"), "kept");
    const url = new URL(page.url());
    assertEquals([url.pathname, url.searchParams.get("q")], ["/", `${prefix}-1`]);
    assertEquals(
      await page.evaluate("document.activeElement && document.activeElement.name"),
      "q",
      "focus stays in the box",
    );

    // The job filter keeps only the busy domain.
    await search.fill(prefix);
    await waitFor("both again", async () => (await names()).length === 2, {
      timeoutMs: 5_000,
      intervalMs: 100,
    });
    await page.locator('select[name="job"]').selectOption("yes");
    await waitFor("the job filter", async () => {
      const n = await names();
      return n.length === 1 && new URL(page.url()).searchParams.get("job") === "yes";
    }, { timeoutMs: 5_000, intervalMs: 100 });
    assertEquals(await names(), [busy.name]);
    assertEquals(await page.locator("body").getAttribute("data-test-mark"), "kept");

    // The strip asks for itself again: an aborted copy leaves it without a reload.
    const abort = await labVirsh("blockjob", "--domain", busy.uuid, "--path", "vda", "--abort");
    assertEquals(abort.code, 0, abort.stderr);
    await stripped.waitFor({ state: "detached", timeout: 10_000 });
    assertEquals(await page.locator("body").getAttribute("data-test-mark"), "kept");
    assertEquals(problems, []);
  } finally {
    await labVirsh("blockjob", "--domain", busy.uuid, "--path", "vda", "--abort");
    await browser.close();
    await services.monitor.stop();
  }
});

Deno.test("Chromium: a domain page asks for no preview until a start panel opens", async () => {
  await using dom = await createLabDomain({
    disks: [{ target: "vda", layers: 2 }, { target: "vdb", layers: 2 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, {
    storageRoots: [dom.dir],
    monitor: { sampling: false, events: false },
  });
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const previews: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/preview/")) previews.push(new URL(r.url()).pathname);
    });
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);
    await page.locator("details.start-jobs").first().waitFor();
    await page.waitForTimeout(1_500);
    assertEquals(previews, [], "closed panels ask for nothing");
    await page.locator(`article.disk[data-target="vdb"] details.start-jobs > summary`).click();
    await page.locator(`article.disk[data-target="vdb"] form.start-copy .plan`).waitFor({
      timeout: 5_000,
    });
    assert(
      previews.length > 0 && previews.every((p) => p.includes("/disks/vdb/")),
      previews.join(),
    );
  } finally {
    await browser.close();
  }
});
