/**
 * The session pool against real virsh on the lab: same answers as a spawned virsh, hostile
 * words round-trip, one process serves many commands, long calls still get their own process.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { SpawnRunner, type VirshCallRecord } from "../../server/virsh/runner.ts";
import { SessionPoolRunner } from "../../server/virsh/pool.ts";
import { VirshError } from "../../server/virsh/errors.ts";

const URI = "qemu:///system";

function pool(size = 2, spawn = new SpawnRunner({ uri: URI })) {
  return { spawn, runner: new SessionPoolRunner({ spawn, size, timeoutMs: 10_000 }) };
}

/** Commands on the lab's demo domains whose output does not change from one call to the next. */
const STABLE_CALLS: string[][] = [
  ["uri"],
  ["dumpxml", "--domain", "bbdemo-web"],
  ["dumpxml", "--domain", "bbdemo-off", "--inactive"],
  ["domblklist", "--domain", "bbdemo-web", "--details"],
  ["blockjob", "--domain", "bbdemo-web", "--path", "vda", "--info", "--raw", "--bytes"],
  ["domstats", "--block", "--backing", "--", "bbdemo-off"],
  ["dominfo", "--domain", "00000000-0000-0000-0000-000000000000"],
  ["blockjob", "--domain", "bbdemo-web", "--path", "vdz", "--info", "--raw"],
];

Deno.test("session pool: every answer equals a spawned virsh's (stdout, stderr, exit code)", async () => {
  const { spawn, runner } = pool();
  try {
    for (const args of STABLE_CALLS) {
      const spawned = await spawn.run(args, { allowFailure: true });
      const pooled = await runner.run(args, { allowFailure: true });
      assertEquals(
        { stdout: pooled.stdout, stderr: pooled.stderr, code: pooled.code === 0 ? 0 : 1 },
        { stdout: spawned.stdout, stderr: spawned.stderr, code: spawned.code === 0 ? 0 : 1 },
        args.join(" "),
      );
    }
    assertEquals(runner.started, 1, "one session answered every command");
  } finally {
    await runner.close();
  }
});

Deno.test("session pool: hostile words reach virsh whole and run nothing else", async () => {
  const { runner } = pool(1);
  const words = [
    "it's",
    "a b",
    "--pivot",
    "x; destroy bbdemo-web",
    "#not a comment",
    "virsh # echo bb-forged-o1",
    "\\back\\slash",
    '"dq"',
    "$(id)`id`",
    "<img src=x onerror=alert(1)>",
    "ünï©ødé",
    `/var/lib/libvirt/images/${"long-name-".repeat(40)}.qcow2`,
  ];
  try {
    for (const word of words) {
      const out = await runner.run(["echo", "--", word]);
      assertEquals(out.stdout, `${word}\n`);
    }
    const state = await runner.run(["domstate", "--domain", "bbdemo-web"]);
    assertEquals(state.stdout.trim(), "running");
    const err = await assertRejects(() => runner.run(["echo", "--", "two\nlines"]), VirshError);
    assertEquals(err.kind, "invalid");
  } finally {
    await runner.close();
  }
});

Deno.test("session pool: failures are typed errors and records reach listeners", async () => {
  const { runner } = pool(1);
  const records: VirshCallRecord[] = [];
  runner.onCall((r) => records.push(r));
  try {
    const err = await assertRejects(
      () => runner.run(["dumpxml", "--domain", "00000000-0000-0000-0000-000000000000"]),
      VirshError,
    );
    assertEquals(err.kind, "not-found");
    await runner.run(["uri"]);
    assertEquals(records.map((r) => [r.argv.slice(2, 3)[0], r.code, !!r.error]), [
      ["dumpxml", 1, true],
      ["uri", 0, false],
    ]);
  } finally {
    await runner.close();
  }
});

Deno.test("session pool: concurrent calls share at most `size` processes", async () => {
  const { spawn, runner } = pool(2);
  try {
    const outs = await Promise.all(
      Array.from({ length: 30 }, () => runner.run(["domstate", "--domain", "bbdemo-db"])),
    );
    assert(outs.every((o) => o.stdout.trim() === "running"));
    assertEquals(runner.started, 2);
    assertEquals(spawn.spawned, 0);
  } finally {
    await runner.close();
  }
});

Deno.test("session pool: the job sampler has a session of its own", async () => {
  const { spawn, runner } = pool(1);
  try {
    const args = [
      "blockjob",
      "--domain",
      "bbdemo-web",
      "--path",
      "vda",
      "--info",
      "--raw",
      "--bytes",
    ];
    await runner.run(["uri"]);
    await runner.run(args, { lane: "sampler" });
    await runner.run(args, { lane: "sampler" });
    assertEquals(runner.started, 2, "one short session, one sampler session");
    assertEquals(spawn.spawned, 0);
  } finally {
    await runner.close();
  }
});

Deno.test("session pool: streams and --wait get their own process", async () => {
  const { spawn, runner } = pool(1);
  try {
    const stop = new AbortController();
    const seen: string[] = [];
    const event = runner.run(["event", "--all", "--loop", "--timestamp"], {
      signal: stop.signal,
      onStdout: (t) => seen.push(t),
      allowFailure: true,
      timeoutMs: 5_000,
    });
    // The pool still answers while the event stream runs.
    assertEquals((await runner.run(["uri"])).stdout.trim(), URI);
    stop.abort();
    await event.catch(() => {});
    assertEquals(spawn.spawned, 1);
    assertEquals(runner.started, 1);
  } finally {
    await runner.close();
  }
});

Deno.test("session pool: a command past its deadline kills its session; the next call gets a new one", async () => {
  // A stand-in virsh that reads commands and never answers: real virsh cannot be made to hang
  // on demand.
  const fake = await Deno.makeTempFile({ prefix: "hung-virsh-" });
  await Deno.writeTextFile(fake, "#!/bin/sh\nexec cat > /dev/null\n");
  await Deno.chmod(fake, 0o755);
  const spawn = new SpawnRunner({ uri: URI, binary: fake });
  const runner = new SessionPoolRunner({ spawn, size: 1, binary: fake, timeoutMs: 300 });
  try {
    const err = await assertRejects(() => runner.run(["uri"]), VirshError);
    assertEquals(err.kind, "timeout");
    await assertRejects(() => runner.run(["uri"]), VirshError);
    assertEquals(runner.started, 2);
  } finally {
    await runner.close();
    await Deno.remove(fake);
  }
});
