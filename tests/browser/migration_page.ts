/**
 * An operator's browser on a domain's page with its migration panel's Migrate form unfolded:
 * signed in through the form, problems recorded (see `recordProblems`).
 *
 * @module
 */
import type { Browser, Locator, Page } from "playwright-core";
import { recordProblems } from "../support/browser.ts";
import { logIn, TEST_USERS } from "../support/secure_app.ts";

/** The page, what went wrong on it, and the panel (`section.migration-panel`). */
export interface MigrationPage {
  page: Page;
  problems: string[];
  panel: Locator;
}

/** Opens `/domains/NAME` of the default host at `url` as the operator; unfolds Migrate. */
export async function openMigrationPanel(
  browser: Browser,
  url: string,
  domain: string,
): Promise<MigrationPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = recordProblems(page);
  await logIn(page, url, TEST_USERS.operator);
  await page.goto(`${url}/domains/${encodeURIComponent(domain)}`);
  const panel = page.locator("section.migration-panel");
  await panel.locator("details.migrate summary").click();
  return { page, problems, panel };
}
