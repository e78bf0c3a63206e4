/**
 * The page's change feed: answered from the monitor's memory (no virsh call per viewer), it
 * returns the job slot of every disk whose job started or ended since the page's generation,
 * and a terminal line's job is labelled with its author.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { fixture, NO_JOB, rawInfo, VM1 } from "./fixtures.ts";

const MiB = 1024 * 1024;

function world() {
  let jobOnVda = false;
  const runner = new FakeRunner((args) => {
    if (args[0] === "list") return `${VM1.uuid} ${VM1.name}\n\n`;
    if (args[0] === "domstats") return fixture("domstats-all.txt");
    if (args[0] === "dumpxml") return fixture("dumpxml-copy-not-ready.xml");
    if (args[0] === "blockjob" && args.includes("vda") && jobOnVda) {
      return rawInfo("Block Copy", MiB, 64 * MiB, 0);
    }
    return NO_JOB;
  });
  const services = createServices(runner, {
    inventoryCacheMs: 0,
    monitor: { sampling: false, events: false },
  });
  return { runner, services, app: createApp(services), startElsewhere: () => (jobOnVda = true) };
}

Deno.test("the feed returns the slot of a disk whose job appeared, with no virsh call per request", async () => {
  const { runner, services, app, startElsewhere } = world();
  const first = await app.request("/ui/jobs/feed?since=0");
  assertEquals(first.status, 200);
  const quiet = await first.text();
  const since = Number(/data-generation="(\d+)"/.exec(quiet)![1]);
  assert(!quiet.includes("hx-swap-oob"), "nothing changed yet");

  startElsewhere();
  await services.monitor.resync(); // what the QEMU event (or the periodic resync) triggers
  const calls = runner.calls.length;
  const bodies = await Promise.all(
    Array.from(
      { length: 20 },
      async () => await (await app.request(`/ui/jobs/feed?since=${since}`)).text(),
    ),
  );
  assertEquals(runner.calls.length, calls, "viewers read memory only");
  const html = bodies[0];
  assertStringIncludes(html, `id="jobslot-${VM1.uuid}-vda"`);
  assertStringIncludes(html, 'hx-swap-oob="true"');
  assertStringIncludes(html, "started by outside blockboard");
  assertMatch(html, new RegExp(`hx-get="/ui/jobs/feed\\?since=(?!${since}&)\\d+&amp;chains=\\d+"`));
  // Polling again from the new generation: nothing more.
  const next = Number(/data-generation="(\d+)"/.exec(html)![1]);
  const again = await (await app.request(`/ui/jobs/feed?since=${next}`)).text();
  assert(!again.includes("hx-swap-oob"));
  // A page older than a restart (ahead of this monitor) gets every disk with a job.
  const ahead = await (await app.request(`/ui/jobs/feed?since=${next + 1000}`)).text();
  assertStringIncludes(ahead, `id="jobslot-${VM1.uuid}-vda"`);
  // A bad generation is refused but keeps the page polling.
  const bad = await app.request("/ui/jobs/feed?since=x");
  assertEquals(bad.status, 400);
  assertStringIncludes(await bad.text(), 'id="job-feed"');
});

Deno.test("a job started by a terminal line says it was started from the terminal, and by whom", async () => {
  const { services, app, startElsewhere } = world();
  startElsewhere();
  // What the terminal's audit hook reports after `blockcopy` ran (argv after -c URI).
  services.monitor.noteTerminalLine(
    ["-c", "qemu:///fake", "blockcopy", "--domain", VM1.name, "--path", "vda", "--dest", "/x"],
    "carol",
  );
  await services.monitor.resync();
  const job = services.monitor.getJob(VM1.uuid, "vda")!;
  assertEquals(job.startedBy, "terminal (carol)");
  assertEquals(job.message, "started from the terminal by carol");
  const html = await (await app.request("/ui/jobs/feed?since=0")).text();
  assertStringIncludes(html, "started by terminal (carol)");
});
