/**
 * A storage move driven from the domain page in Chromium, with the security layer on and the
 * real move engine, against a running lab domain on a 3-layer qcow2 chain whose base another
 * (shut-off, defined) domain also builds on: an operator signs in through the login form, fills
 * the Move storage form, reviews the plan (every file, its new path, the commands), starts it,
 * watches the card's bars advance, sees Switch enabled at ready, switches, sees the card say
 * done and the chain on the page change, then cleans up: the confirmation lists the old files,
 * keeps the shared base with the other domain's name, and deletes the other two.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labRebaseHeader, uniqueName, waitFor } from "../lab/lab.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { launchBrowser, pictureFolder } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";
import { exists } from "../support/files.ts";

Deno.test(
  "operator: Move storage from the page: review, start, watch, Switch at ready, done, Clean up keeps a shared base",
  {
    sanitizeOps: false,
    sanitizeResources: false,
  },
  async () => {
    await using dom = await createLabDomain({ name: uniqueName("bbmw-"), persistent: true });
    // A shut-off defined domain whose chain ends on the moved domain's base.
    await using other = await createLabDomain({
      name: uniqueName("bbmw-"),
      persistent: true,
      running: false,
      disks: [{ target: "vda", layers: 2 }],
    });
    const [oldTop, oldMid, oldBase] = dom.disks[0].chain;
    await labRebaseHeader(other.disks[0].chain[0], oldBase);

    await using pictures = await pictureFolder();
    const runner = new SpawnRunner({ uri: LAB_URI });
    const roots = [dom.dir];
    const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: roots });
    await services.monitor.start();
    const engine = services.moves;
    await using server = await serveSecureApp(services);
    const dest = `${dom.dir}/moved`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(String(e)));
      page.on("dialog", (d) => d.accept());
      await logIn(
        page,
        server.url,
        TEST_USERS.operator,
        `/domains/${encodeURIComponent(dom.name)}`,
      );

      const section = page.locator("section.move-storage");
      await section.locator("details.move-start > summary").click();
      const form = section.locator("form.move-form");
      assertEquals(await form.locator('select[name="root"]').inputValue(), dom.dir);
      await form.locator('input[name="subfolder"]').fill("moved");
      assertEquals(await form.locator('input[name="disks"][value="vda"]').isChecked(), true);
      // 2 MiB/s: the 8 MiB base takes a few seconds, so the bars can be seen moving.
      await form.locator('input[name="bandwidthMiB"]').fill("2");
      await form.locator('input[name="pivot"][value="manual"]').check();
      // The copy form's busy-host option, on the move's mirror.
      await form.locator('input[name="synchronousWrites"]').check();
      await form.locator('button[data-action="move-review"]').click();

      // The plan: every file → its new path, the commands, the chain afterwards.
      const plan = section.locator(".move-plan");
      await plan.waitFor({ timeout: 60_000 });
      for (const [from, name] of [[oldTop, "snap2"], [oldMid, "snap1"], [oldBase, "base"]]) {
        const row = plan.locator(`tr[data-from="${from}"]`);
        assertEquals(await row.getAttribute("data-to"), `${dest}/${name}.qcow2`);
      }
      const commands = await plan.locator(".move-commands").innerText();
      assertStringIncludes(commands, "qemu-img convert");
      assertStringIncludes(commands, "blockcopy");
      assertStringIncludes(commands, "--reuse-external");
      assertStringIncludes(commands, "--synchronous-writes");
      assertStringIncludes(
        await plan.locator(".move-tuning").innerText(),
        "Mirror options: synchronous writes.",
      );
      assert(!commands.includes("-f auto"), "no probing");
      const chainAfter = await plan.locator(".chain-after").innerText();
      assertStringIncludes(chainAfter, `${dest}/snap2.qcow2`);
      await plan.screenshot({ path: pictures.path("move-review.png") });
      await plan.locator('button[data-action="move-start"]').click();

      // The card replaces the form and polls itself; its bars advance.
      const card = section.locator(".move-card");
      await card.waitFor({ timeout: 60_000 });
      const seen = new Set<string>();
      const states = new Set<string>();
      await waitFor("the card to reach ready", async () => {
        const state = await card.getAttribute("data-state").catch(() => null);
        const percent = await card.getAttribute("data-percent").catch(() => null);
        if (state) states.add(state);
        if (state && state !== "ready" && percent) seen.add(percent);
        if (state === "failed" || state === "canceled") {
          throw new Error(`move ended ${state}: ${await card.innerText()}`);
        }
        return state === "ready";
      }, { timeoutMs: 120_000, intervalMs: 200 });
      assert(seen.size >= 2, `the overall bar advanced: ${[...seen].join(", ")}`);
      assert(states.has("copying"), [...states].join(", "));
      const bars = card.getByRole("progressbar");
      assertEquals(await bars.count(), 4, "one bar per layer and one overall");
      assertEquals(
        await card.getByRole("progressbar", {
          name: `Storage move progress of domain ${dom.name}`,
        }).count(),
        1,
      );

      // Switch is enabled at ready; the domain still runs on its old chain.
      const switchButton = card.locator('button[data-action="move-switch"]');
      assertEquals(await switchButton.isDisabled(), false);
      assertEquals((await xmlDisk(dom.uuid, "vda")).chain[0].path, oldTop);
      // The disk's own card names the move and offers none of the copy's controls.
      const mirrorCard = page.locator(`#job-${dom.uuid}-vda`);
      await mirrorCard.locator(".job-owner").waitFor({ timeout: 30_000 });
      assertEquals(await mirrorCard.locator("button[data-action]").count(), 0);
      await card.screenshot({ path: pictures.path("move-ready.png") });
      await switchButton.click();
      await waitFor(
        "the card to say done",
        async () => (await card.getAttribute("data-state").catch(() => null)) === "done",
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      assertEquals(await card.getAttribute("data-percent"), "100");
      // The move has ended: the section is redrawn and offers the form again.
      await section.locator("form.move-form").waitFor({ state: "attached", timeout: 30_000 });
      assertEquals(
        (await xmlDisk(dom.uuid, "vda")).chain.map((l) => l.path),
        [`${dest}/snap2.qcow2`, `${dest}/snap1.qcow2`, `${dest}/base.qcow2`],
      );
      // The disk on the page shows the new chain without a reload (the change feed).
      const disk = page.locator(`article.disk[data-target="vda"]`);
      await waitFor(
        "the page's chain to show the new top",
        async () =>
          (await disk.locator(".layer").first().getAttribute("data-path").catch(() => null)) ===
            `${dest}/snap2.qcow2`,
        { timeoutMs: 30_000, intervalMs: 250 },
      );

      // Clean up: the confirmation lists the three old files and keeps the shared base.
      await card.locator('button[data-action="move-cleanup"]').click();
      const confirm = card.locator("form.cleanup-confirm");
      await confirm.waitFor({ timeout: 60_000 });
      assertEquals(await confirm.locator("li").count(), 3);
      assertEquals(
        await confirm.locator(`li[data-path="${oldBase}"]`).getAttribute("data-deletable"),
        "false",
      );
      const kept = await confirm.locator(`li[data-path="${oldBase}"]`).innerText();
      assertStringIncludes(kept, `still used by domain ${other.name}, disk vda (backing chain)`);
      for (const f of [oldTop, oldMid]) {
        assertEquals(
          await confirm.locator(`li[data-path="${f}"]`).getAttribute("data-deletable"),
          "true",
        );
        assert(await exists(f), "nothing is deleted before the confirmation");
      }
      await confirm.screenshot({ path: pictures.path("move-cleanup.png") });
      await confirm.locator('button[data-action="cleanup-confirm"]').click();
      const result = card.locator(".cleanup-result");
      await result.waitFor({ timeout: 60_000 });
      assertEquals(await result.locator('li[data-deleted="true"]').count(), 2);
      assertEquals([await exists(oldTop), await exists(oldMid), await exists(oldBase)], [
        false,
        false,
        true,
      ]);
      const audited = server.security.audit.query({ user: TEST_USERS.operator.name }).entries
        .filter((e) => e.action.includes("move.cleanup"));
      assertEquals(audited.map((e) => e.result).sort(), ["ok", "ok"]);
      assertEquals(problems, []);
    } finally {
      await browser.close();
      await engine.detach();
      await services.monitor.stop();
    }
  },
);

Deno.test(
  "operator: a second move waits in the queue, visibly (dashboard and domain page), and leaves it on Cancel",
  {
    sanitizeOps: false,
    sanitizeResources: false,
  },
  async () => {
    await using first = await createLabDomain({ name: uniqueName("bbmw-") });
    await using second = await createLabDomain({
      name: uniqueName("bbmw-"),
      disks: [{ target: "vda", layers: 2 }],
    });
    const runner = new SpawnRunner({ uri: LAB_URI });
    const services = createServices(runner, {
      inventoryCacheMs: 0,
      storageRoots: [first.dir, second.dir],
      moveQueue: { maxRunning: 1, bandwidthBudget: null },
    });
    await services.monitor.start();
    const engine = services.moves;
    await using server = await serveSecureApp(services);
    const browser = await launchBrowser();
    try {
      // 1 MiB/s: the first move holds the only slot for a while.
      const running = await engine.start(first.uuid, {
        destDir: `${first.dir}/moved`,
        bandwidthBytes: 1048576,
      });
      const waiting = await engine.start(second.uuid, { destDir: `${second.dir}/moved` });
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.on("dialog", (d) => d.accept());
      await logIn(page, server.url, TEST_USERS.operator, "/");
      const panel = page.locator("#move-queue");
      await panel.locator(`li[data-move="${waiting.id}"]`).waitFor({ timeout: 30_000 });
      assertEquals(
        await panel.locator(`li[data-move="${waiting.id}"] [data-position]`).innerText(),
        "waiting: 1 of 1",
      );
      assert(
        (await panel.locator(`li[data-move="${running.id}"]`).getAttribute("data-state")) !==
          "planned",
        "the first move runs",
      );

      await page.goto(`${server.url}/domains/${encodeURIComponent(second.name)}`);
      const card = page.locator(`#move-${waiting.id}`);
      await card.waitFor({ timeout: 30_000 });
      assertStringIncludes(await card.innerText(), "Waiting in the queue: position 1 of 1.");
      assertEquals(await card.locator('button[data-action="move-up"]').isDisabled(), true);
      assertEquals(await card.locator('button[data-action="move-down"]').isDisabled(), true);
      assertEquals(await card.locator('button[data-action="move-switch"]').count(), 0);
      await card.locator('button[data-action="move-cancel"]').click();
      await waitFor(
        "the waiting move to be canceled",
        async () =>
          (await page.locator(".move-card").first().getAttribute("data-state").catch(() =>
            null
          )) === "canceled",
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      assertStringIncludes(
        await page.locator(".move-card").first().innerText(),
        "Canceled while waiting in the queue: nothing was written.",
      );
      assertEquals(await exists(`${second.dir}/moved`), false);
      assertEquals(services.moveQueue.snapshot().waiting, []);
      await engine.cancel(running.id);
    } finally {
      await browser.close();
      await engine.detach();
      await services.monitor.stop();
    }
  },
);
