/**
 * The terminal panel in Chromium against real libvirt, under the app's strict CSP: type a
 * command and see its output; stream a throttled copy and stop it with Ctrl-C; see a dashboard
 * action's command line echoed; see the `ready` event in the event log and the job element
 * refreshed by it.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import { terminalUi } from "../../server/terminal/http/mod.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { TerminalPanel } from "../../views/terminal.tsx";
import { createLabDomain, LAB_URI, labVirsh, waitFor } from "../lab/lab.ts";
import { launchBrowser, serveOnLoopback } from "../support/browser.ts";

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";
const STATIC = new URL("../../static/", import.meta.url);

/** `virsh event --all --loop --timestamp`, fanned out to listeners (the job monitor's role). */
function eventFeed() {
  const listeners = new Set<(l: string) => void>();
  const child = new Deno.Command("virsh", {
    args: ["-c", LAB_URI, "event", "--all", "--loop", "--timestamp"],
    env: { LC_ALL: "C" },
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const pump = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
        for (const l of listeners) l(line);
      }
    }
  })();
  return {
    subscribe(l: (line: string) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await pump.catch(() => {});
    },
  };
}

function testApp(
  runner: SpawnRunner,
  domainName: string,
  subscribe: (l: (line: string) => void) => () => void,
) {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.res.headers.set("content-security-policy", CSP);
  });
  let refreshes = 0;
  app.route(
    "/ui/terminal",
    terminalUi({
      runner,
      roleOf: () => "operator",
      userOf: () => "tester",
      subscribeEvents: subscribe,
    }),
  );
  app.get("/static/htmx.min.js", (c) => c.body(htmx, 200, { "content-type": "text/javascript" }));
  app.get("/static/:file{terminal\\.(js|css)}", async (c) => {
    const file = c.req.param("file");
    const type = file.endsWith(".js") ? "text/javascript" : "text/css";
    return c.body(await Deno.readFile(new URL(file, STATIC)), 200, { "content-type": type });
  });
  app.get("/job-status", (c) => c.html(`<span class="refreshed">refreshed ${++refreshes}</span>`));
  app.get("/", (c) =>
    c.html(
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <title>terminal test</title>
          <link rel="stylesheet" href="/static/terminal.css" />
          <script src="/static/htmx.min.js" defer></script>
          <script src="/static/terminal.js" defer></script>
        </head>
        <body>
          <main>
            <div
              id="job-status"
              data-refresh-on-event
              data-domain={domainName}
              hx-get="/job-status"
              hx-trigger="bb:refresh"
            >
              waiting
            </div>
          </main>
          <TerminalPanel uri={runner.uri} />
        </body>
      </html>,
    ));
  return app;
}

Deno.test("Chromium: run a command, stream and stop a copy, see a dashboard action and the ready event", async () => {
  await using dom = await createLabDomain({ name: `bbterm-${crypto.randomUUID().slice(0, 8)}` });
  await using feed = eventFeed();
  const runner = new SpawnRunner({ uri: LAB_URI });
  const app = testApp(runner, dom.name, (l) => feed.subscribe(l));
  await using server = serveOnLoopback(app.fetch);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      // 4xx answers (the refused line's 400) are expected; script and CSP errors are not.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
        problems.push(m.text());
      }
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.goto(`${server.url}/`);
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

    // 3. A dashboard action (the app's own runner call) is echoed with its command line.
    const dest = `${dom.dir}/dash.qcow2`;
    await runner.run([
      "blockcopy",
      "--domain",
      dom.uuid,
      "--path",
      "vda",
      "--dest",
      dest,
      "--format",
      "qcow2",
      "--transient-job",
      "--bandwidth",
      "8",
    ]);
    const echo = output.locator(".term-action");
    await echo.waitFor({ timeout: 10_000 });
    assertStringIncludes(
      await echo.locator(".term-cmd").innerText(),
      `virsh -c qemu:///system blockcopy --domain ${dom.uuid} --path vda --dest ${dest}`,
    );

    // 4. Its ready event shows in the event log and refreshes the job element.
    const ready = page.locator(".term-events-list li.term-event-ready");
    await ready.waitFor({ timeout: 60_000 });
    assertStringIncludes(await ready.innerText(), `for domain '${dom.name}'`);
    await page.locator("#job-status .refreshed").waitFor({ timeout: 5_000 });
    await page.locator(".term-events-filter").fill("no-such-domain");
    assertEquals(await ready.isVisible(), false);
    await page.locator(".term-events-filter").fill(dom.name.slice(0, 8));
    assertEquals(await ready.isVisible(), true);

    await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort");
    assertEquals(problems, []);
  } finally {
    await browser.close();
  }
});
