/**
 * The blockboard process itself (`main.ts`) around a running migration between two namespaced
 * lab hosts: SIGTERM during a slow migration aborts it cleanly (the domain stays running on the
 * source, nothing is left on the target) and the next start shows that outcome in the migration
 * panel's API, the job history and the audit log; SIGKILL during one (a crash) leaves its
 * `virsh migrate` running in its own process group, and the next start adopts the migration,
 * follows it to its end and records where the domain landed.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import type { Migration } from "../../server/migrations/model.ts";
import { type LabHost, startLabHost } from "../lab/hosts.ts";
import { uniqueName } from "../lab/lab.ts";
import { waitFor } from "../lab/wait.ts";
import { freePort } from "../http/main_process.ts";
import { definePool } from "../lab/host_pool.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const TOKEN = crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");

/** One blockboard process over `dataDir`, default host `local` = a, and host `b`. */
async function blockboard(dataDir: string, a: LabHost, b: LabHost) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--connect",
      a.uri,
      "--libvirt",
      `b=${b.uri}`,
    ],
    env: { BLOCKBOARD_TOKEN: TOKEN, BLOCKBOARD_STORAGE_ROOTS: dataDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const reading = Promise.all([read(child.stdout), read(child.stderr)]);
  const status = child.status.then(async (s) => (await reading, s));
  await waitFor("blockboard to listen", () => {
    if (output.includes("blockboard listening on")) return Promise.resolve(true);
    return Promise.resolve(false);
  }, { timeoutMs: 60_000, intervalMs: 100 });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: await r.json() };
  };
  return { child, status, call, output: () => output };
}

async function domState(host: LabHost, uuid: string): Promise<string | null> {
  const r = await host.virsh("domstate", "--domain", uuid);
  return r.code === 0 ? r.stdout.trim() : null;
}

Deno.test({
  name: "main.ts: SIGTERM aborts a running migration cleanly; after SIGKILL it is adopted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using a = await startLabHost({ name: "bbr1", number: 45 });
    await using b = await startLabHost({ name: "bbr2", number: 46 });
    const dataDir = await Deno.makeTempDir({ prefix: "bbmr-main-" });
    await using dom = await a.createDomain({
      name: uniqueName("bbmr-"),
      persistent: true,
      disks: [{ target: "vda", layers: 2 }],
    });
    const top = dom.disks[0].chain[0];
    await definePool(b, "bbmr", top.slice(0, top.lastIndexOf("/")));
    const on = (host: string, rest: string) => `/api/v1/hosts/${host}/domains/${dom.name}/${rest}`;
    type Blockboard = Awaited<ReturnType<typeof blockboard>>;
    const migration = async (bb: Blockboard, host = "local"): Promise<Migration | null> =>
      (await bb.call("GET", on(host, "migration"))).json.migration;
    const startSlow = async (bb: Blockboard, bandwidthBytes: number) => {
      const r = await bb.call("POST", on("local", "migrate"), {
        to: "b",
        storage: "all",
        bandwidthBytes,
      });
      assertEquals(r.status, 202, JSON.stringify(r.json));
      return await waitFor("its first figures", async () => {
        const m = await migration(bb);
        return m && m.phase === "copying" && m.dataTotal > 0 ? m : null;
      }, { timeoutMs: 15_000, intervalMs: 200 });
    };
    let current: Blockboard | null = null;
    try {
      await t.step("SIGTERM mid-migration: aborted cleanly, shown after the restart", async () => {
        current = await blockboard(dataDir, a, b);
        const started = await startSlow(current, 1048576);
        current.child.kill("SIGTERM");
        assertEquals((await current.status).code, 0, current.output());
        assertEquals(await domState(a, dom.uuid), "running");
        assertEquals(await domState(b, dom.uuid), null);
        await b.virsh("pool-refresh", "--pool", "bbmr");
        assert(!(await b.virsh("vol-list", "--pool", "bbmr")).stdout.includes(".qcow2"));

        current = await blockboard(dataDir, a, b);
        const shown = await migration(current);
        assertEquals([shown?.id, shown?.phase], [started.id, "aborted"]);
        assertMatch(
          shown!.message,
          /^aborted: blockboard was shut down during the migration; .* stays on local, running$/,
        );
        const history = await current.call("GET", `/api/v1/hosts/local/jobs?domain=${dom.name}`);
        assertEquals(history.json.jobs[0].type, "migration");
        assertEquals(history.json.jobs[0].message, shown!.message);
        const audit = await current.call("GET", "/audit.json?action=migration.abort-at-shutdown");
        assertEquals(audit.status, 200);
        const entries = (audit.json as { action: string; message: string; host: string }[])
          .filter((e) => e.action === "migration.abort-at-shutdown");
        assertEquals(entries.length, 1);
        assertEquals([entries[0].host, entries[0].message], ["local", shown!.message]);
      });

      await t.step(
        "SIGKILL mid-migration: the next start adopts it and records the landing",
        async () => {
          const started = await startSlow(current!, 8 * 1048576);
          current!.child.kill("SIGKILL");
          await current!.status;
          current = await blockboard(dataDir, a, b);
          const adopted = await migration(current);
          assertEquals([adopted?.id, adopted?.phase], [started.id, "copying"]);
          // Its virsh outlived the killed process and still drives it. The limit is lifted
          // (as an operator may) so the test does not wait for the throttle.
          const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
          assert(
            new TextDecoder().decode(ps.stdout).split("\n")
              .some((l) => l.includes("migrate") && l.includes(dom.uuid)),
            "the virsh migrate outlived blockboard",
          );
          const speed = await a.virsh("migrate-setspeed", "--domain", dom.uuid, "--bandwidth", "0");
          assertEquals(speed.code, 0, speed.stderr);
          const done = await waitFor("the adopted migration to end", async () => {
            const m = await migration(current!);
            return m && m.phase !== "copying" ? m : null;
          }, { timeoutMs: 120_000, intervalMs: 500 });
          assertEquals(done.phase, "completed", done.message);
          assertMatch(
            done.message,
            /^completed: blockboard restarted during the migration and followed it to its end; .* runs on b and is no longer defined on local$/,
          );
          assertEquals(await domState(b, dom.uuid), "running");
          assertEquals(await domState(a, dom.uuid), null);
          assertEquals((await migration(current, "b"))?.id, started.id);
        },
      );
    } finally {
      const last = current as Blockboard | null;
      if (last) {
        last.child.kill("SIGTERM");
        await last.status;
      }
      await b.virsh("destroy", "--domain", dom.uuid);
      await b.virsh("undefine", "--domain", dom.uuid);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
