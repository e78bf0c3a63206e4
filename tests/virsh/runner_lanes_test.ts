/**
 * Slot lanes of the real SpawnRunner, with a stand-in virsh (a small script) whose `--wait` calls
 * run until killed: long calls and a busy page must not stop short calls or the job sampler.
 */
import { assertEquals } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";

async function fakeVirsh(): Promise<{ binary: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "bb-fake-virsh-" });
  const binary = `${dir}/virsh`;
  // `--wait` and `hang` calls run until killed; everything else answers at once.
  await Deno.writeTextFile(
    binary,
    '#!/bin/sh\nfor a in "$@"; do case "$a" in --wait|hang) exec sleep 600;; esac; done\necho ok\n',
  );
  await Deno.chmod(binary, 0o755);
  return { binary, dir };
}

/** Resolves with the call's result, or "still waiting" after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "still waiting"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<"still waiting">((r) => timer = setTimeout(() => r("still waiting"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("eight --wait streams and the event listener leave the short slots free", async () => {
  const { binary, dir } = await fakeVirsh();
  const runner = new SpawnRunner({ uri: "qemu:///fake", binary, maxConcurrent: 8 });
  const stop = new AbortController();
  try {
    const long = [
      ...Array.from({ length: 8 }, () =>
        runner.run(["blockcopy", "--domain", "vm", "--wait"], {
          lane: "long",
          timeoutMs: 60_000,
          allowFailure: true,
          signal: stop.signal,
        })),
      // The listener has no deadline: the long lane is its default.
      runner.run(["event", "--all", "--loop", "--wait"], {
        timeoutMs: 0,
        allowFailure: true,
        signal: stop.signal,
      }),
    ];
    const short = await within(runner.run(["list", "--all"]), 10_000);
    assertEquals(typeof short === "string" ? short : short.stdout, "ok\n");
    stop.abort();
    await Promise.allSettled(long);
  } finally {
    stop.abort();
    await runner.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the job sampler still runs when every short slot is taken", async () => {
  const { binary, dir } = await fakeVirsh();
  const runner = new SpawnRunner({ uri: "qemu:///fake", binary, maxConcurrent: 2 });
  const stop = new AbortController();
  try {
    const busy = Array.from(
      { length: 2 },
      () => runner.run(["hang", "x"], { allowFailure: true, signal: stop.signal }),
    );
    const sample = await within(
      runner.run(["blockjob", "--info"], { lane: "sampler" }),
      10_000,
    );
    assertEquals(typeof sample === "string" ? sample : sample.stdout, "ok\n");
    stop.abort();
    await Promise.allSettled(busy);
  } finally {
    stop.abort();
    await runner.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("close() kills running process groups and refuses new calls", async () => {
  const { binary, dir } = await fakeVirsh();
  const runner = new SpawnRunner({ uri: "qemu:///fake", binary });
  try {
    const hanging = runner.run(["event", "--wait"], { timeoutMs: 0, allowFailure: true });
    await new Promise((r) => setTimeout(r, 200));
    await runner.close();
    const out = await within(hanging, 10_000);
    assertEquals(typeof out === "string" ? out : out.code, 137);
    let refused = false;
    await runner.run(["list", "--all"]).catch(() => refused = true);
    assertEquals(refused, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
