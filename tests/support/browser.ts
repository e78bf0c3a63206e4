/**
 * Debian's Chromium driven by playwright-core, with the flags this network needs.
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";

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
