/**
 * The terminal panel in Chromium against real libvirt, in the real app with its security layer
 * and strict CSP, signed in as an operator through the login form: type a command and see its
 * output; stream a throttled copy and stop it with Ctrl-C; start a copy from the page and see its
 * command line echoed; see the `ready` event in the keyboard-scrollable event log and the job
 * card of that disk refreshed by it, and only that one (the domain's other disk has a job too).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
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
import { launchBrowser, recordProblems } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("Chromium: run a command, stream and stop a copy, see a dashboard action and the ready event", async () => {
  await using dom = await createLabDomain({
    name: `bbterm-${crypto.randomUUID().slice(0, 8)}`,
    disks: [{ target: "vda" }, { target: "vdb", layers: 1 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: [LAB_ROOT] });
  await services.monitor.start(); // also feeds the event log (virsh event --loop)
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // 4xx answers (the refused line's 400) are expected; script and CSP errors are not.
    const problems = recordProblems(page);
    await logIn(page, server.url, TEST_USERS.operator, `/domains/${encodeURIComponent(dom.name)}`);
    // Every bb:refresh the event log sends to a job card, by element id.
    await page.evaluate(`document.addEventListener("bb:refresh", (e) => {
      (window.bbRefreshed ||= []).push(e.target.id);
    }, true)`);
    await page.locator(".term-summary").click();
    const input = page.locator("#terminal-input");
    const output = page.locator("#terminal-output");

    // 1. A command and its output.
    await input.fill(`domblklist --domain ${dom.uuid}`);
    await input.press("Enter");
    const first = output.locator(".term-entry").first();
    await first.locator(".term-out").waitFor();
    assertStringIncludes(await first.locator(".term-out").innerText(), dom.disks[0].chain[0]);
    assertStringIncludes(
      await first.locator(".term-cmd").innerText(),
      `virsh -c qemu:///system domblklist --domain ${dom.uuid}`,
    );
    assertEquals(await first.locator(".term-exit").innerText(), "exit 0");
    assertEquals(await input.inputValue(), "");
    await input.press("ArrowUp");
    assertEquals(await input.inputValue(), `domblklist --domain ${dom.uuid}`);
    await input.fill("");

    // A refused line shows its reason.
    await input.fill("list; reboot x");
    await input.press("Enter");
    await output.locator(".term-refused").waitFor();
    assertStringIncludes(await output.locator(".term-refused .term-err").innerText(), ";");

    // 2. A throttled copy streams its progress; Ctrl-C stops it and aborts the job.
    await input.fill(
      `blockcopy --domain ${dom.uuid} --path vda --dest ${dom.dir}/t.qcow2 --format qcow2 ` +
        `--transient-job --bandwidth 1 --wait --verbose`,
    );
    await input.press("Enter");
    const streaming = output.locator(".term-entry[data-stream-url]");
    await streaming.locator(".term-progress").waitFor({ timeout: 20_000 });
    assert(/Block Copy: \[\s*\d+ %\]/.test(await streaming.locator(".term-progress").innerText()));
    assertEquals(await streaming.locator(".term-progress").count(), 1); // one updating line
    assertEquals(await page.locator(".term-stop-current").isVisible(), true);
    await input.press("Control+c");
    await streaming.locator(".term-exit").waitFor({ timeout: 20_000 });
    assertStringIncludes(await streaming.locator(".term-exit").innerText(), "job aborted");
    assertEquals(await page.locator(".term-stop-current").isVisible(), false);
    await waitFor("no job after Stop", async () => {
      const r = await labVirsh(
        "blockjob",
        "--domain",
        dom.uuid,
        "--path",
        "vda",
        "--info",
        "--raw",
        "--bytes",
      );
      return r.stdout.trim() === "";
    });

    // A slow copy on the other disk, started outside blockboard: its card polls on the page too.
    await labOutsideCopy(dom.uuid, "vdb", `${dom.dir}/vdb-slow.qcow2`, {
      transientJob: true,
      bytesPerSecond: 65536, // 16 MiB of data: minutes, never ready during the test
    });
    await page.locator(`#jobstatus-${dom.uuid}-vdb[data-refresh-on-event]`).waitFor({
      timeout: 10_000,
    });

    // 3. A dashboard action: a copy started from the page's form is echoed with its command line.
    const dest = `${dom.dir}/dash.qcow2`;
    const disk = page.locator(`article.disk[data-target="vda"]`);
    await disk.locator("details.start-jobs > summary").click();
    const form = disk.locator("form.start-copy");
    await form.locator('input[name="dest"]').fill(dest);
    await form.locator('input[name="bandwidthMiB"]').fill("8");
    await form.locator(".preview .command").filter({ hasText: "--bandwidth 8388608" })
      .waitFor({ timeout: 10_000 });
    await form.locator('button[type="submit"]').click();
    const echo = output.locator(".term-action");
    await echo.waitFor({ timeout: 10_000 });
    assertStringIncludes(
      await echo.locator(".term-cmd").innerText(),
      `virsh -c qemu:///system blockcopy --domain ${dom.uuid} --path vda --dest ${dest}`,
    );

    // 4. Its ready event shows in the event log and refreshes the job card at once.
    // Other tests on the host make events too: this domain's line only.
    const ready = page.locator(
      `.term-events-list li.term-event-ready[data-domain="${dom.name}"]`,
    );
    await ready.waitFor({ timeout: 60_000 });
    assertStringIncludes(await ready.innerText(), `for domain '${dom.name}'`);
    await waitFor(
      "the ready event to refresh the job card",
      async () =>
        ((await page.evaluate("window.bbRefreshed || []")) as string[])
          .some((id) => id.startsWith("jobstatus-") && id.endsWith("-vda")),
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    // Only vda's card: vdb's job had no event, so its card waits for its own next poll.
    const refreshed = (await page.evaluate("window.bbRefreshed || []")) as string[];
    assertEquals(refreshed.filter((id) => id.endsWith("-vdb")), [], refreshed.join(" "));
    await waitFor(
      "Pivot to light up",
      async () => !(await disk.locator('button[data-action="pivot"]').isDisabled()),
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    await page.locator(".term-events-filter").fill("no-such-domain");
    assertEquals(await ready.isVisible(), false);
    await page.locator(".term-events-filter").fill(dom.name.slice(0, 8));
    assertEquals(await ready.isVisible(), true);

    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vdb", "--abort");
    assertEquals(problems, []);
  } finally {
    await browser.close();
    await services.monitor.stop();
  }
});
