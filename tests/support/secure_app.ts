/**
 * The real blockboard app with its security layer on, served on 127.0.0.1 for browser tests:
 * an in-memory database, users created through the UserStore, and a helper that signs in through
 * the login form the way a person does.
 *
 * @module
 */
import type { Page } from "playwright-core";
import { createApp } from "../../server/app.tsx";
import type { SecurityServices, Services } from "../../server/services.ts";
import type { Role } from "../../server/auth/roles.ts";
import { testSecurity } from "./security.ts";
import type { HostRegistry } from "../../server/hosts/model.ts";

/** A user the test signs in as. */
export interface TestUser {
  name: string;
  role: Role;
  password: string;
}

/** One user per role, with passwords long enough for the password rule. */
export const TEST_USERS: Readonly<Record<Role, TestUser>> = {
  viewer: { name: "vera", role: "viewer", password: "vera-password-long" },
  operator: { name: "otto", role: "operator", password: "otto-password-long" },
  admin: { name: "ada", role: "admin", password: "ada-password-long" },
};

/** A served app; dispose to stop the server. */
export interface SecureServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  url: string;
  security: SecurityServices;
}

/**
 * Serves `createApp({...services, security})` on a free loopback port. The Host allowlist needs
 * the port, so the server starts first and the app is built once the port is known.
 */
export async function serveSecureApp(
  services: Services,
  options: { hosts?: HostRegistry } = {},
): Promise<SecureServer> {
  const built: { app?: ReturnType<typeof createApp> } = {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) =>
      built.app ? built.app.fetch(req, info) : new Response("starting", { status: 503 }),
  );
  const { port } = server.addr as Deno.NetAddr;
  const security = testSecurity({ port });
  for (const user of Object.values(TEST_USERS)) {
    await security.users.create(user.name, user.role, user.password);
  }
  built.app = createApp({ ...services, ...options, security });
  return {
    url: `http://127.0.0.1:${port}`,
    security,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/**
 * Signs in through the login form (as a person would: type, click) and waits for the page the
 * form leads to. `path` is where the browser starts; an anonymous visit is sent to the login page.
 */
export async function logIn(page: Page, url: string, user: TestUser, path = "/"): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.locator('form[action="/login"]').waitFor();
  await page.locator('input[name="username"]').fill(user.name);
  await page.locator('input[name="password"]').fill(user.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== "/login"),
    page.locator('form[action="/login"] button[type="submit"]').click(),
  ]);
}
