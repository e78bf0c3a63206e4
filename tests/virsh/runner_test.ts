import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { VirshError } from "../../server/virsh/errors.ts";

/** A stand-in virsh binary for what real virsh cannot be made to do on demand (hang, race). */
async function fakeVirsh(body: string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "fake-virsh-" });
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("real virsh: argv gets -c URI, LC_ALL=C, and output comes back", async () => {
  const runner = new SpawnRunner({ uri: "qemu:///system" });
  const out = await runner.run(["uri"]);
  assertEquals(out.argv, ["-c", "qemu:///system", "uri"]);
  assertEquals(out.stdout.trim(), "qemu:///system");
  assertEquals(runner.spawned, 1);
});

Deno.test("real virsh: an unknown domain is a typed not-found error carrying argv and stderr", async () => {
  const runner = new SpawnRunner({ uri: "qemu:///system" });
  const err = await assertRejects(
    () => runner.run(["dumpxml", "--domain", "00000000-0000-0000-0000-000000000000"]),
    VirshError,
  );
  assertEquals(err.kind, "not-found");
  assertEquals(err.code, 1);
  assertEquals(err.argv.slice(0, 3), ["-c", "qemu:///system", "dumpxml"]);
  assertStringIncludes(err.stderr, "error:");
});

Deno.test("real virsh: an unreachable URI is classified as unreachable", async () => {
  const runner = new SpawnRunner({ uri: "qemu+unix:///system?socket=/nonexistent/sock" });
  const err = await assertRejects(() => runner.run(["list", "--all"]), VirshError);
  assertEquals(err.kind, "unreachable");
  assertStringIncludes(err.message, "libvirt is not answering");
});

Deno.test("a missing virsh binary is a typed error, not a crash", async () => {
  const runner = new SpawnRunner({ uri: "qemu:///system", binary: "/nonexistent/virsh" });
  const err = await assertRejects(() => runner.run(["list", "--all"]), VirshError);
  assertEquals(err.kind, "missing-binary");
});

Deno.test("a call past its deadline is killed and reported as a timeout", async () => {
  const bin = await fakeVirsh("sleep 30");
  try {
    const runner = new SpawnRunner({ uri: "qemu:///system", binary: bin, timeoutMs: 200 });
    const started = Date.now();
    const err = await assertRejects(() => runner.run(["list", "--all"]), VirshError);
    assertEquals(err.kind, "timeout");
    assertEquals(Date.now() - started < 5_000, true, "the process was not killed promptly");
  } finally {
    await Deno.remove(bin);
  }
});

Deno.test("no more than maxConcurrent processes run at once", async () => {
  const dir = await Deno.makeTempDir();
  // Each call records start and end times; overlap is measured from the files.
  const bin = await fakeVirsh(
    `echo start $(date +%s%N) >> ${dir}/log; sleep 0.2; echo end $(date +%s%N) >> ${dir}/log`,
  );
  try {
    const runner = new SpawnRunner({ uri: "qemu:///system", binary: bin, maxConcurrent: 2 });
    await Promise.all(Array.from({ length: 6 }, () => runner.run(["list", "--all"])));
    const events = (await Deno.readTextFile(`${dir}/log`)).trim().split("\n")
      .map((l) => l.split(" ")).map(([kind, t]) => ({ kind, t: BigInt(t) }))
      .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    let running = 0;
    let peak = 0;
    for (const e of events) {
      running += e.kind === "start" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assertEquals(events.length, 12);
    assertEquals(peak, 2);
  } finally {
    await Deno.remove(bin);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lone free-form argument is refused (virsh would parse it as a command string)", async () => {
  const runner = new SpawnRunner({ uri: "qemu:///system" });
  const err = await assertRejects(() => runner.run(["list; destroy x"]), VirshError);
  assertEquals(err.kind, "invalid");
  assertEquals(runner.spawned, 0);
});
