/**
 * The qemu-img writes of a real move are audited like virsh calls: each convert and create is one
 * entry under the request that started the move (who, route, domain, host, the exact argv with
 * `qemu-img` first); reads (compare, info) are not recorded.
 */
import { assert, assertEquals } from "../std_assert.ts";
import { createLabDomain, uniqueName, waitFor } from "../lab/lab.ts";
import { moveAppLab } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a move's qemu-img writes are in the audit log, under the request that started it",
  opts,
  async () => {
    await using lab = await moveAppLab("bbmm-");
    const operator = await lab.token("auditor", "operator");
    await using dom = await createLabDomain({ name: uniqueName("bbmm-audit-"), persistent: true });
    const dest = `${lab.destRoot}/moved`;
    const started = await lab.call("POST", `/api/v1/domains/${dom.name}/move`, operator, {
      destDir: dest,
      pivot: "auto",
    });
    assertEquals(started.status, 202);
    await waitFor("the move to be done", async () => {
      const r = await lab.call("GET", `/api/v1/moves/${started.body.move.id}`, operator);
      if (r.body.move.state === "failed") throw new Error(r.body.move.message);
      return r.body.move.state === "done" ? r : null;
    }, { timeoutMs: 90_000, intervalMs: 100 });
    const audit = lab.security.audit;
    audit.flush();
    const entries = audit.query({ limit: 1000 }).entries.filter((e) => e.argv?.[0] === "qemu-img");
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
      !audit.query({ limit: 1000 }).entries.some((e) =>
        e.argv?.[0] === "qemu-img" && ["compare", "info"].includes(e.argv[1])
      ),
    );
  },
);

Deno.test(
  "a move that waited in the queue is audited as the caller who started it, not the one before",
  opts,
  async () => {
    // --max-moves 1 (the default): the second move waits for the first and runs when it ends.
    await using lab = await moveAppLab("bbmm-");
    const alice = await lab.token("alice", "operator");
    const bob = await lab.token("bob", "operator");
    await using a = await createLabDomain({ name: uniqueName("bbmm-qa-") });
    await using b = await createLabDomain({ name: uniqueName("bbmm-qb-") });
    const start = async (name: string, auth: string, dest: string) =>
      (await lab.call("POST", `/api/v1/domains/${name}/move`, auth, {
        destDir: dest,
        pivot: "auto",
      })).body.move.id as string;
    const first = await start(a.name, alice, `${lab.destRoot}/a`);
    const second = await start(b.name, bob, `${lab.destRoot}/b`);
    assertEquals(lab.services.moveQueue.snapshot().waiting, [second]);
    for (const id of [first, second]) {
      await waitFor(`move ${id} to be done`, async () => {
        const r = await lab.call("GET", `/api/v1/moves/${id}`, alice);
        if (r.body.move.state === "failed") throw new Error(r.body.move.message);
        return r.body.move.state === "done" ? r : null;
      }, { timeoutMs: 120_000, intervalMs: 100 });
    }
    lab.security.audit.flush();
    const writers = (dir: string) =>
      lab.security.audit.query({ limit: 1000 }).entries
        .filter((e) => e.argv?.[0] === "qemu-img" && e.argv.some((x) => x.startsWith(dir)))
        .map((e) => `${e.user} ${e.domain}`);
    const ofA = writers(`${lab.destRoot}/a/`);
    const ofB = writers(`${lab.destRoot}/b/`);
    assert(ofA.length > 0 && ofB.length > 0);
    assertEquals(new Set(ofA), new Set([`token:alice ${a.name}`]));
    assertEquals(new Set(ofB), new Set([`token:bob ${b.name}`]));
  },
);
