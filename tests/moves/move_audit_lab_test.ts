/**
 * The qemu-img writes of a real move are audited like virsh calls: each convert and create is one
 * entry under the request that started the move (who, route, domain, host, the exact argv with
 * `qemu-img` first); reads (compare, info) are not recorded.
 */
import { assert, assertEquals } from "../std_assert.ts";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_ROOT, LAB_URI, uniqueName, waitFor } from "../lab/lab.ts";
import { testSecurity } from "../support/security.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a move's qemu-img writes are in the audit log, under the request that started it",
  opts,
  async () => {
    const runner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
    const db = openDatabase(IN_MEMORY);
    const services = createServices(runner, {
      db,
      storageRoots: [LAB_ROOT],
      monitor: { intervalMs: 250, resyncIntervalMs: 0 },
    });
    const security = testSecurity({ db });
    const operator = `Bearer ${(await security.tokens.create("auditor", "operator")).token}`;
    const app = createApp({ ...services, security });
    const destRoot = `${LAB_ROOT}/bbmm-${crypto.randomUUID()}`;
    await Deno.mkdir(destRoot, { mode: 0o755 });
    await services.monitor.start();
    await using dom = await createLabDomain({ name: uniqueName("bbmm-audit-"), persistent: true });
    const headers = { host: "127.0.0.1:8080", authorization: operator };
    try {
      const dest = `${destRoot}/moved`;
      const started = await app.request(`/api/v1/domains/${dom.name}/move`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ destDir: dest, pivot: "auto" }),
      });
      assertEquals(started.status, 202);
      const id = (await started.json()).move.id;
      await waitFor("the move to be done", async () => {
        const r = await (await app.request(`/api/v1/moves/${id}`, { headers })).json();
        if (r.move.state === "failed") throw new Error(r.move.message);
        return r.move.state === "done" ? r : null;
      }, { timeoutMs: 90_000, intervalMs: 100 });
      security.audit.flush();
      const entries = security.audit.query({ limit: 1000 }).entries
        .filter((e) => e.argv?.[0] === "qemu-img");
      const route = `POST /api/v1/domains/${dom.name}/move`;
      // Bottom up: base, snap1 copied; then the new top created for the mirror.
      const written = (argv: readonly string[]) => argv.filter((a) => a.startsWith(`${dest}/`));
      assertEquals(entries.map((e) => [e.action, written(e.argv!).at(-1)]).reverse(), [
        [`${route} (qemu-img convert)`, `${dest}/base.qcow2`],
        [`${route} (qemu-img convert)`, `${dest}/snap1.qcow2`],
        [`${route} (qemu-img create)`, `${dest}/snap2.qcow2`],
      ]);
      for (const e of entries) {
        assertEquals(e.user, "token:auditor");
        assertEquals(e.role, "operator");
        assertEquals(e.result, "ok");
        assertEquals(e.domain, dom.name);
        assertEquals(e.host, "local");
      }
      assertEquals(entries[0].argv!.slice(0, 4), ["qemu-img", "create", "-q", "-f"]);
      assert(
        !security.audit.query({ limit: 1000 }).entries.some((e) =>
          e.argv?.[0] === "qemu-img" && ["compare", "info"].includes(e.argv[1])
        ),
      );
    } finally {
      await services.moves.detach();
      await services.monitor.stop();
      await dom.destroy();
      await Deno.remove(destRoot, { recursive: true }).catch(() => undefined);
      await runner.close();
    }
  },
);
