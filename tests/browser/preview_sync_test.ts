/**
 * The copy preview never lags the form: against a real lab VM, with libvirt answers delayed at
 * random so preview answers come back out of order, type a destination and tick (or untick)
 * "reuse external" at once, ten times; each time Start is held while the preview updates and
 * the preview that settles describes exactly the form. Signed in as an operator, security on.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { type RunOptions, SpawnRunner, type VirshRunner } from "../../server/virsh/runner.ts";
import type { VirshCallRecord } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, qemuImg, waitFor } from "../lab/lab.ts";
import { launchBrowser } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

/** Real virsh, each call held back 0-400 ms at random: answers overtake each other. */
class JitteryRunner implements VirshRunner {
  constructor(readonly inner: VirshRunner) {}
  get uri() {
    return this.inner.uri;
  }
  async run(args: readonly string[], options?: RunOptions) {
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    return this.inner.run(args, options);
  }
  onCall(listener: (record: VirshCallRecord) => void) {
    return this.inner.onCall(listener);
  }
}

Deno.test("copy preview: typed and ticked quickly, the settled preview matches the form (10×)", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 2, sizeMiB: 16 }] });
  const runner = new JitteryRunner(new SpawnRunner({ uri: LAB_URI }));
  const services = createServices(runner, {
    inventoryCacheMs: 0,
    storageRoots: [dom.dir],
    monitor: { sampling: false, events: false },
  });
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);
    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator("details.start-jobs > summary").click();
    const form = disk.locator("form.start-copy");
    const dest = form.locator('input[name="dest"]');
    const reuse = form.locator('input[name="reuseExternal"]');
    const start = form.locator('button[type="submit"]');
    const command = form.locator(".preview .command");
    const settled = () =>
      waitFor(
        "the preview to settle",
        async () =>
          (await form.getAttribute("data-preview-state")) !== "updating" &&
          (await form.getAttribute("data-preview-state")) !== null,
        {
          timeoutMs: 15_000,
          intervalMs: 50,
        },
      );
    await settled();

    for (let i = 0; i < 10; i++) {
      // Even rounds: a file the operator made, ticked after typing. Odd: a new file, unticked.
      const wantReuse = i % 2 === 0;
      const path = `${dom.dir}/preview-${i}.qcow2`;
      if (wantReuse) await qemuImg("create", "-q", "-f", "qcow2", path, "16M");
      if (await reuse.isChecked() === wantReuse) await reuse.setChecked(!wantReuse);
      await dest.fill("");
      // Type like a person: a pause mid-path lets a preview request start, then the rest and
      // the tick follow at once, while that request is still in flight.
      const cut = path.length - 8;
      await dest.pressSequentially(path.slice(0, cut), { delay: 0 });
      await page.waitForTimeout(320);
      await dest.pressSequentially(path.slice(cut), { delay: 0 });
      await reuse.setChecked(wantReuse);
      // At once: the preview is known to be stale and Start is held.
      assertEquals(await form.getAttribute("data-preview-state"), "updating", `round ${i}`);
      assert(await start.isDisabled(), `round ${i}: Start held while the preview updates`);

      await settled();
      assertEquals(await form.getAttribute("data-preview-state"), "fresh", `round ${i}`);
      const text = await command.innerText();
      assert(text.includes(`--dest ${path}`), `round ${i}: ${text}`);
      assertEquals(text.includes("--reuse-external"), wantReuse, `round ${i}: ${text}`);
      assert(!(await start.isDisabled()), `round ${i}: Start enabled once fresh`);
      const shown = await form.locator(".preview [data-seq]").getAttribute("data-seq");
      assertEquals(shown, await form.locator('input[name="previewSeq"]').inputValue());
    }
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});

Deno.test("pull asks first, naming the image it changes; dismissed, nothing runs; accepted, the card shows the command", async () => {
  await using dom = await createLabDomain({ disks: [{ target: "vda", layers: 3, sizeMiB: 16 }] });
  const spawn = new SpawnRunner({ uri: LAB_URI });
  const pulls: string[][] = [];
  spawn.onCall((r) => {
    if (r.argv.includes("blockpull")) pulls.push(r.argv);
  });
  const services = createServices(spawn, { inventoryCacheMs: 0, storageRoots: [dom.dir] });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);
    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator("details.start-jobs > summary").click();
    const form = disk.locator("form.start-pull");
    await form.locator(".preview .command").waitFor({ timeout: 15_000 });
    await waitFor(
      "the pull preview to be fresh",
      async () => (await form.getAttribute("data-preview-state")) === "fresh",
      { timeoutMs: 15_000, intervalMs: 50 },
    );

    const questions: string[] = [];
    let answer = false;
    page.on("dialog", (d) => {
      questions.push(d.message());
      answer ? d.accept() : d.dismiss();
    });
    await form.locator('button[type="submit"]').click();
    await waitFor("the question", () => Promise.resolve(questions.length === 1));
    const active = dom.disks[0].chain[0];
    assert(questions[0].startsWith(`Start the pull? ${active} changes for good`), questions[0]);
    assert(questions[0].includes("Chain afterwards:"), questions[0]);
    await page.waitForTimeout(500);
    assertEquals(pulls, [], "dismissed: no blockpull ran");
    assertEquals(await disk.locator(".job").count(), 0);

    answer = true;
    await form.locator('button[type="submit"]').click();
    const ran = disk.locator(".job-ran .command");
    await ran.waitFor({ timeout: 15_000 });
    assert((await ran.innerText()).includes("blockpull"), await ran.innerText());
    assertEquals(pulls.length, 1);
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
