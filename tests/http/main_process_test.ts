import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { alive, childrenOf, startMain } from "./main_process.ts";
import { getFrom } from "./front_door_support.ts";
import { DatabaseSync } from "node:sqlite";

Deno.test("SIGTERM: blockboard finishes, stops its virsh event listener and exits 0", async () => {
  const main = await startMain();
  try {
    assertStringIncludes(main.output(), "blockboard listening on");
    // The listener starts right after the first resync; give it a moment to appear.
    let listeners: number[] = [];
    for (let i = 0; i < 50 && listeners.length === 0; i++) {
      listeners = childrenOf(main.pid, "event", "--loop");
      if (listeners.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert(listeners.length > 0, `no virsh event child found:\n${main.output()}`);
    const health = await getFrom("127.0.0.1", main.port, "/healthz");
    assertEquals(health.status, 200);
    // Every long-running virsh it started (the event listener, the job-start watcher).
    const virshChildren = childrenOf(main.pid, "virsh");
    assert(virshChildren.length >= listeners.length, `virsh children: ${virshChildren}`);
    // A refused cross-site post: its audit row is buffered until shutdown writes it.
    const refused = await fetch(`http://127.0.0.1:${main.port}/api/v1/domains/x/disks/vda/pull`, {
      method: "POST",
      headers: { origin: "http://evil.example", "content-type": "application/json" },
      body: "{}",
    });
    assertEquals(refused.status, 403);
    await refused.body?.cancel();
    main.child.kill("SIGTERM");
    const status = await main.status;
    assertEquals(status.code, 0, main.output());
    const db = new DatabaseSync(`${main.dataDir}/blockboard.db`, { readOnly: true });
    const rows = db.prepare("SELECT count(*) AS n FROM audit WHERE result = 'refused'").get();
    db.close();
    assertEquals(rows?.n, 1, "the buffered refusal was written at shutdown");
    await new Promise((r) => setTimeout(r, 200));
    for (const pid of [...listeners, ...virshChildren]) {
      assert(!alive(pid), `virsh (pid ${pid}) outlived blockboard`);
    }
  } finally {
    await main.cleanup();
  }
});

Deno.test("a port already in use: one sentence naming the address, exit 2", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const main = await startMain({ port, wait: false });
  try {
    const status = await main.status;
    const out = main.output();
    assertEquals(status.code, 2, out);
    assertStringIncludes(out, `127.0.0.1:${port}`);
    assertStringIncludes(out, "already in use");
    assert(!/\n\s+at /.test(out), `a stack trace was printed:\n${out}`);
    assert(!out.includes("Uncaught"), out);
  } finally {
    taken.close();
    await main.cleanup();
  }
});

Deno.test("600 idle connections from one address against 512 descriptors: others are still served", async () => {
  const main = await startMain({
    prefix: ["prlimit", "--nofile=512:512"],
    env: { BLOCKBOARD_CLIENT_CONNS: "16" },
  });
  const conns: Deno.Conn[] = [];
  try {
    let failed = 0;
    for (let i = 0; i < 600; i++) {
      try {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port: main.port }));
      } catch {
        failed++;
      }
    }
    // Another address still gets answers, and the process is still there.
    const health = await getFrom("127.0.0.2", main.port, "/healthz");
    assertEquals(health.status, 200, main.output());
    assertEquals(JSON.parse(health.body).status, "ok");
    const page = await getFrom("127.0.0.2", main.port, "/");
    assertEquals(page.status, 200, main.output());
    assert(alive(main.pid), `blockboard died:\n${main.output()}`);
    assert(failed < 600);
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* refused ones are closed */ }
    }
    await main.cleanup();
  }
});
