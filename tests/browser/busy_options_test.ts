/**
 * The busy-host options from the page in Chromium, against a real lab VM, security on: the
 * operator ticks synchronous writes and picks a granularity and a buffer, the preview shows the
 * flags, the started job's card names its options; the commit form's delete shows in the preview
 * with the layers it would remove.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_ROOT, LAB_URI, uniqueName, waitFor } from "../lab/lab.ts";
import { launchBrowser } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("operator: a tuned copy from the page shows its flags and options; commit delete previews its files", async () => {
  await using dom = await createLabDomain({ name: uniqueName("bbopt-") });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: [LAB_ROOT] });
  await services.monitor.start();
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  const [, snap1] = dom.disks[0].chain;
  const dest = `${dom.dir}/vda/tuned.qcow2`;
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 1200 } }))
      .newPage();
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);
    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator("details.start-jobs > summary").click();

    const commit = disk.locator("form.start-commit");
    await commit.locator('select[name="top"]').selectOption(snap1);
    await commit.locator('input[name="delete"]').check();
    await commit.locator(".preview .command").filter({ hasText: "--delete" })
      .waitFor({ timeout: 10_000 });
    const notes = await commit.locator(".preview").innerText();
    assert(notes.includes(`libvirt deletes ${snap1}`), notes);

    const copy = disk.locator("form.start-copy");
    await copy.locator('input[name="dest"]').fill(dest);
    await copy.locator('input[name="bandwidthMiB"]').fill("8");
    await copy.locator('input[name="synchronousWrites"]').check();
    await copy.locator("details.tuning summary").click();
    await copy.locator('select[name="granularity"]').selectOption({ label: "64 KiB" });
    await copy.locator('input[name="bufSizeKiB"]').fill("256");
    await copy.locator(".preview .command")
      .filter({ hasText: "--synchronous-writes --granularity 65536 --buf-size 262144" })
      .waitFor({ timeout: 10_000 });
    await copy.locator('button[type="submit"]').click();

    const options = disk.locator(".job-status .job-options");
    await options.waitFor({ timeout: 10_000 });
    assertEquals(
      await options.innerText(),
      "options: synchronous writes, granularity 64 KiB, buffer 256 KiB",
    );
    const ran = await disk.locator(".job-ran .command").innerText();
    assert(ran.includes("--synchronous-writes --granularity 65536 --buf-size 262144"), ran);
    await waitFor(
      "the copy to be ready",
      async () =>
        (await disk.locator(".job-status").getAttribute("data-phase").catch(() => null)) ===
          "ready",
      {
        timeoutMs: 90_000,
        intervalMs: 250,
      },
    );
    // Still named after every redraw by the poll.
    assertEquals(
      await disk.locator(".job-status .job-options").innerText(),
      "options: synchronous writes, granularity 64 KiB, buffer 256 KiB",
    );
    if (Deno.env.get("BBOPT_SHOT")) await disk.screenshot({ path: Deno.env.get("BBOPT_SHOT")! });
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
