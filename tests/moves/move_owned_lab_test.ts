/**
 * A real move's mirror is owned by the move (server/jobs/owners.ts), through `app.request()` on
 * real services, a real lab domain and the security layer on: while it mirrors, the API's pivot
 * and abort on the disk answer 409 naming the move, the disk fragment names the move and shows
 * no job controls; after the switch the disk offers no Clean up of its own (the move's covers
 * it) and the job history has no standalone copy row for it.
 */
import { assert, assertEquals, assertStringIncludes } from "../std_assert.ts";
import { createApp } from "../../server/app.tsx";
import { createLabDomain, LAB_ROOT, uniqueName } from "../lab/lab.ts";
import { testSecurity } from "../support/security.ts";
import { xmlDisk } from "../jobs/lab_harness.ts";
import { labMoveServices, waitMove } from "./lab_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a move's mirror: 409 on pivot/abort, a card naming the move without controls",
  opts,
  async () => {
    const { db, services } = labMoveServices();
    const security = testSecurity({ db });
    await security.users.create("op", "operator", "op-password-long-enough");
    const { id, session } = await security.sessions.create("op", "192.0.2.9");
    const cookie = `bb_session=${id}`;
    const app = createApp({ ...services, security });
    const destRoot = `${LAB_ROOT}/bbow-${crypto.randomUUID()}`;
    await Deno.mkdir(destRoot, { mode: 0o755 });
    await services.monitor.start();
    await using dom = await createLabDomain({ name: uniqueName("bbow-move-"), persistent: true });
    const call = (method: string, path: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: {
          host: "127.0.0.1:8080",
          origin: "http://127.0.0.1:8080",
          cookie,
          "x-csrf-token": session.csrfToken,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    try {
      const started = await call("POST", `/api/v1/domains/${dom.name}/move`, {
        destDir: `${destRoot}/moved`,
        pivot: "manual",
      });
      assertEquals(started.status, 202);
      const moveId = (await started.json()).move.id as string;
      await waitMove(services.moves, moveId, ["ready"]);
      const sentence =
        `disk vda's copy is part of storage move ${moveId}; switch or cancel the move instead`;
      const job = `/api/v1/domains/${dom.name}/disks/vda/job`;
      for (const [path, body] of [[`${job}/pivot`, {}], [`${job}/abort`, {}]] as const) {
        const res = await call("POST", path, body);
        assertEquals(res.status, 409, path);
        assertEquals((await res.json()).error.message, sentence);
      }
      const terminal = await call("POST", "/api/v1/terminal", {
        command: `blockjob ${dom.name} vda --pivot`,
      });
      assertEquals(terminal.status, 400);
      assertEquals((await terminal.json()).error.message, sentence);
      // Nothing switched: the domain still runs on its old top, the mirror still ready.
      const live = await xmlDisk(dom.uuid, "vda");
      assertEquals(live.chain[0].path, dom.disks[0].chain[0]);
      assertEquals(live.mirror?.ready, "yes");

      const fragment = async () =>
        await (await call("GET", `/ui/domains/${dom.uuid}/disks/vda/job/status?seen=none`)).text();
      const mirroring = await fragment();
      assertStringIncludes(mirroring, `storage move ${moveId}`);
      assertStringIncludes(mirroring, `href="#move-${moveId}"`);
      for (const control of ["Pivot now", "Keep copy", 'data-action="abort"', "bandwidth-form"]) {
        assert(!mirroring.includes(control), `no ${control} on a move's mirror`);
      }
      assert(!mirroring.includes("started by outside blockboard"));

      // The move switches it; the disk's card offers no clean-up of its own.
      assertEquals((await call("POST", `/api/v1/moves/${moveId}/pivot`, {})).status, 200);
      await waitMove(services.moves, moveId, ["done"]);
      await services.monitor.settled({ uuid: dom.uuid, target: "vda" });
      const after = await fragment();
      assertStringIncludes(after, "ended with the move");
      assert(
        !after.includes('data-action="cleanup"'),
        `no per-disk Clean up: the move's Clean up covers the old files: ${after}`,
      );
      // Asked for directly, the disk's own clean-up lists none of the move's old files.
      const perDisk = await (await call("GET", `/ui/domains/${dom.uuid}/disks/vda/cleanup`)).text();
      for (const old of dom.disks[0].chain) assert(!perDisk.includes(old), perDisk);
      const history = services.history!.list({ limit: 50, domain: dom.uuid });
      assertEquals(history.filter((r) => r.type === "copy"), [], "no standalone copy row");
    } finally {
      await services.moves.detach?.().catch(() => undefined);
      await services.monitor.stop();
      await Deno.remove(destRoot, { recursive: true }).catch(() => undefined);
    }
  },
);
