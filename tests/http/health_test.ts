import { assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { FakeRunner } from "../support/fake_runner.ts";

const DOWN = {
  fail: "unreachable" as const,
  stderr: "error: failed to connect to the hypervisor\nerror: Failed to connect socket\n",
};

function setUp() {
  let up = true;
  const runner = new FakeRunner((args) => {
    if (!up) return DOWN;
    return args[0] === "list" ? { stdout: "\n" } : { stdout: "" };
  });
  const services = createServices(runner, {
    inventoryCacheMs: 0,
    monitor: { sampling: false, events: false },
  });
  const app = createApp(services);
  /** The probe's libvirt part; the probe itself must not run virsh. */
  const health = async () => {
    const calls = runner.calls.length;
    const body = await (await app.request("/healthz")).json();
    assertEquals(runner.calls.length, calls, "/healthz ran virsh");
    return body.libvirt;
  };
  return { runner, services, app, health, setUp: (v: boolean) => up = v };
}

Deno.test("50 concurrent /healthz requests start no virsh process", async () => {
  const { runner, services, app } = setUp();
  await services.monitor.resync();
  const before = runner.calls.length;
  const answers = await Promise.all(
    Array.from(
      { length: 50 },
      () => Promise.resolve(app.request("/healthz")).then((r) => r.json()),
    ),
  );
  assertEquals(runner.calls.length - before, 0);
  for (const a of answers) assertEquals(a.libvirt.reachable, true);
});

Deno.test("reachable follows what the monitor's resync saw: down, then up again", async () => {
  const t = setUp();
  await t.services.monitor.resync();
  assertEquals((await t.health()).reachable, true);
  t.setUp(false);
  await t.services.monitor.resync();
  const down = await t.health();
  assertEquals(down.reachable, false);
  assertStringIncludes(down.message, "libvirt");
  t.setUp(true);
  await t.services.monitor.resync();
  const up = await t.health();
  assertEquals(up.reachable, true);
  assertEquals(up.message, undefined);
});

Deno.test("the event listener dying marks libvirt unreachable", async () => {
  let up = true;
  let endListener: (() => void) | null = null;
  const runner = new FakeRunner((args, options) => {
    if (!up) return DOWN;
    if (args[0] === "event") {
      // Runs until libvirtd goes away (then fails like virsh does) or the monitor stops.
      return new Promise((resolve) => {
        endListener = () => resolve(DOWN);
        options.signal?.addEventListener("abort", () => resolve({ fail: "failed" }));
      });
    }
    return args[0] === "list" ? { stdout: "\n" } : { stdout: "" };
  });
  const services = createServices(runner, {
    monitor: { sampling: false, backoffMs: { initial: 5, max: 5 } },
  });
  const app = createApp(services);
  const reachable = async () => {
    const calls = runner.calls.length;
    const body = await (await app.request("/healthz")).json();
    assertEquals(runner.calls.length, calls, "/healthz ran virsh");
    return body.libvirt.reachable;
  };
  try {
    await services.monitor.start();
    assertEquals(await reachable(), true);
    up = false;
    endListener!();
    const deadline = Date.now() + 2000;
    while (await reachable() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(await reachable(), false);
  } finally {
    await services.monitor.stop();
  }
});
