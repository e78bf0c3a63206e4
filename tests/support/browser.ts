/**
 * Debian's Chromium driven by playwright-core, with the flags this network needs.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";

/** Flags that keep Chromium off the (closed) network and quiet. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Launches headless Chromium; fails with a clear message when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  try {
    await Deno.stat("/usr/bin/chromium");
  } catch {
    throw new Error(
      "/usr/bin/chromium is missing: run `deno task lab` (it installs Debian's chromium)",
    );
  }
  return await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * Collects what went wrong on `page` from now on: uncaught script errors and console errors
 * (a CSP refusal, an htmx error). "Failed to load resource" is left out: a 4xx answer the test
 * provokes on purpose logs one. Tests end with `assertEquals(problems, [])`.
 */
export function recordProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      problems.push(m.text());
    }
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  return problems;
}

/** Serves `fetch` on 127.0.0.1 on a free port until disposed. */
export function serveOnLoopback(fetch: (req: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, fetch);
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Environment variable naming the folder screenshots go to (`deno task docs:pictures`). */
export const PICTURES_ENV = "BLOCKBOARD_DOCS_PICTURES";

/**
 * Where browser tests write screenshots: a fresh temporary folder, removed on dispose, so tests
 * never touch tracked files. `deno task docs:pictures` sets {@link PICTURES_ENV} to `docs/` to
 * refresh the README pictures on purpose.
 */
export async function pictureFolder() {
  const chosen = Deno.env.get(PICTURES_ENV);
  const dir = chosen
    ? (await Deno.mkdir(chosen, { recursive: true }), chosen)
    : await Deno.makeTempDir({ prefix: "bb-pictures-" });
  return {
    dir,
    /** The path of picture `name` (e.g. `dashboard.png`). */
    path: (name: string) => `${dir}/${name}`,
    async [Symbol.asyncDispose]() {
      if (!chosen) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
