/**
 * Chromium, security on, signed in through the login form as an admin: adds a user, changes its
 * role, creates an API token (seen once; it works as a bearer on the real API over the lab),
 * revokes it (then 401), ends the new user's session (signed in from a second browser), deletes
 * the user; the audit page then shows every one of those entries.
 */
import { assert, assertEquals } from "@std/assert";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { LAB_URI } from "../lab/lab.ts";
import { launchBrowser, recordProblems } from "../support/browser.ts";
import { logIn, serveSecureApp, TEST_USERS } from "../support/secure_app.ts";

Deno.test("Chromium: an admin manages a user, a token and a session; the audit shows it", async () => {
  const runner = new SpawnRunner({ uri: LAB_URI });
  const services = createServices(runner, { monitor: { sampling: false, events: false } });
  await using server = await serveSecureApp(services);
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({
      permissions: ["clipboard-read", "clipboard-write"],
    });
    const page = await context.newPage();
    const problems = recordProblems(page);
    // Delete, revoke and end ask first (hx-confirm): the admin says yes.
    page.on("dialog", (d) => void d.accept());
    await logIn(page, server.url, TEST_USERS.admin, "/admin/users");
    assertEquals(new URL(page.url()).pathname, "/admin/users");
    assertEquals(await page.locator("h1").innerText(), "Users and tokens");
    const users = page.locator("#admin-users");

    // 1. Add a user.
    const add = users.locator("form.admin-add");
    await add.locator('input[name="name"]').fill("grace");
    await add.locator('select[name="role"]').selectOption("viewer");
    await add.locator('input[name="password"]').fill("grace-password-long");
    await add.locator('button[data-action="add-user"]').click();
    await users.getByText("Added grace (viewer).").waitFor();
    const row = users.locator('tr[data-user="grace"]');
    assertEquals(await row.getAttribute("data-role"), "viewer");

    // A refusal comes back in the section, naming the field.
    await add.locator('input[name="name"]').fill("Not Valid");
    await add.locator('input[name="password"]').fill("grace-password-long");
    await add.locator('button[data-action="add-user"]').click();
    await users.getByRole("alert").getByText("user name must start with a lowercase letter")
      .waitFor();

    // 2. Change its role.
    await row.locator('select[name="role"]').selectOption("operator");
    await row.locator('button[data-action="set-role"]').click();
    await users.getByText("grace is now operator.").waitFor();
    assertEquals(
      await users.locator('tr[data-user="grace"]').getAttribute("data-role"),
      "operator",
    );

    // 3. Create a token: its secret is shown once, and works as a bearer.
    const tokens = page.locator("#admin-tokens");
    await tokens.locator('input[name="name"]').fill("ci");
    await tokens.locator('select[name="role"]').selectOption("viewer");
    await tokens.locator('button[data-action="create-token"]').click();
    const secret = (await tokens.locator("#new-token").innerText()).trim();
    assert(/^bbt_[0-9a-f]{16}_/.test(secret), secret);
    await tokens.locator("button[data-copy]").click();
    await tokens.locator("button[data-copy]", { hasText: "Copied" }).waitFor();
    assertEquals(await page.evaluate("navigator.clipboard.readText()"), secret);
    const api = (token: string) =>
      fetch(`${server.url}/api/v1/domains`, { headers: { authorization: `Bearer ${token}` } });
    const withToken = await api(secret);
    assertEquals(withToken.status, 200);
    assert(Array.isArray((await withToken.json()).domains));
    await page.reload();
    assertEquals(await page.locator('tr[data-token="ci"]').count(), 1);
    assert(!(await page.content()).includes(secret), "the secret is never shown again");

    // 4. Revoke it: the next call is a 401.
    await page.locator('tr[data-token="ci"] button[data-action="revoke"]').click();
    await tokens.getByText("Revoked token ci; it no longer works.").waitFor();
    const revoked = await api(secret);
    assertEquals(revoked.status, 401);
    await revoked.body?.cancel();

    // 5. grace signs in elsewhere; the admin ends that session.
    const elsewhere = await browser.newContext();
    const gracePage = await elsewhere.newPage();
    await logIn(gracePage, server.url, {
      name: "grace",
      role: "operator",
      password: "grace-password-long",
    });
    await page.reload();
    const session = page.locator('#admin-sessions tr[data-session-user="grace"]');
    assertEquals(await session.count(), 1);
    await session.locator('button[data-action="end-session"]').click();
    await page.locator("#admin-sessions").getByText("Ended a session of grace.").waitFor();
    assertEquals(await session.count(), 0);
    await gracePage.goto(`${server.url}/`);
    assertEquals(new URL(gracePage.url()).pathname, "/login", "grace is signed out");
    await elsewhere.close();

    // 6. Delete the user.
    await users.locator('tr[data-user="grace"] button[data-action="delete"]').click();
    await users.getByText("Deleted grace; their sessions ended.").waitFor();
    assertEquals(await users.locator('tr[data-user="grace"]').count(), 0);

    // The audit page shows all of it, under the admin's name.
    await page.goto(`${server.url}/audit?user=${TEST_USERS.admin.name}`);
    const rows = await page.locator(".audit-table tbody tr").allInnerTexts();
    const seen = (action: string, words: string) =>
      rows.some((r) => r.includes(action) && r.includes(words));
    for (
      const [action, words] of [
        ["user.add", "added grace (viewer)"],
        ["user.add", "user name must start"],
        ["user.role", "grace: viewer → operator"],
        ["token.create", "created token ci (viewer)"],
        ["token.revoke", "revoked token ci (viewer)"],
        ["session.end", "ended a session of grace"],
        ["user.delete", "deleted grace (operator)"],
      ]
    ) {
      assert(seen(action, words), `${action} ${words} in:\n${rows.join("\n")}`);
    }
    assert(!rows.join("\n").includes(secret));
    assertEquals(problems, []);
  } finally {
    await browser.close();
  }
});
