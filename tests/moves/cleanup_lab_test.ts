/**
 * Clean up after a real move, through the JSON API of the real app (security on): a running lab
 * domain on a 3-layer chain is moved by the real engine, while another, shut-off defined domain
 * builds on the same base. The clean-up refuses before the move is done; once done, asking for
 * every old file is refused with 409 naming the shared base and the other domain, and nothing is
 * deleted; asking without the base deletes the two others. Every step is audited.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, qemuImg, uniqueName } from "../lab/lab.ts";
import { testSecurity } from "../support/security.ts";
import { waitMove } from "./lab_harness.ts";
import { HOST, ORIGIN } from "../support/app_world.ts";
import { answerChecker } from "../openapi/answers.ts";
import { apiDocument } from "../../server/openapi/registry.ts";

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test(
  "clean-up after a real move: 409 for a base another domain uses, nothing deleted; the rest deleted and audited",
  {
    sanitizeOps: false,
    sanitizeResources: false,
  },
  async () => {
    await using dom = await createLabDomain({ name: uniqueName("bbmw-") });
    await using other = await createLabDomain({
      name: uniqueName("bbmw-"),
      persistent: true,
      running: false,
      disks: [{ target: "vda", layers: 2 }],
    });
    const [oldTop, oldMid, oldBase] = dom.disks[0].chain;
    const rebase = await qemuImg(
      "rebase",
      "-u",
      "-f",
      "qcow2",
      "-b",
      oldBase,
      "-F",
      "qcow2",
      other.disks[0].chain[0],
    );
    assertEquals(rebase.code, 0, rebase.stderr);

    const runner = new SpawnRunner({ uri: LAB_URI });
    const roots = [dom.dir];
    const services = createServices(runner, { inventoryCacheMs: 0, storageRoots: roots });
    await services.monitor.start();
    const engine = services.moves;
    const security = testSecurity({ clientAddress: () => "192.0.2.7" });
    await security.users.create("otto", "operator", "otto-password-long");
    const { id: session, session: s } = await security.sessions.create("otto", "192.0.2.7");
    const app = createApp({ ...services, security });
    // Every answer is checked against the OpenAPI document's schema for its route and status.
    const answers = answerChecker(apiDocument());
    const api = async (path: string, json?: unknown) => {
      const method = json === undefined ? "GET" : "POST";
      const res = await app.request(`http://${HOST}${path}`, {
        method,
        headers: {
          host: HOST,
          cookie: `bb_session=${session}`,
          ...(json === undefined ? {} : {
            origin: ORIGIN,
            "content-type": "application/json",
            "x-csrf-token": s.csrfToken,
          }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const body = await res.json();
      answers.check(method, "/api/v1/moves/:id/cleanup", res.status, body);
      return { status: res.status, json: () => body };
    };
    try {
      const started = await engine.start(dom.uuid, {
        destDir: `${dom.dir}/moved`,
        pivot: "manual",
      });
      await waitMove(engine, started.id, ["ready"]);
      // Not done yet: the domain still runs on the old files.
      const early = await api(`/api/v1/moves/${started.id}/cleanup`, {});
      assertEquals(early.status, 409);
      assertStringIncludes(early.json().error.message, "only after it is done");
      await engine.pivot(started.id);
      await waitMove(engine, started.id, ["done"]);

      // The confirmation step of the API: what would happen to each old file.
      const review = await api(`/api/v1/moves/${started.id}/cleanup`);
      assertEquals(review.status, 200);
      const { cleanup } = review.json();
      assertEquals(
        cleanup.files.map((f: { path: string; verdict: string }) => [f.path, f.verdict]),
        [[oldTop, "delete"], [oldMid, "delete"], [oldBase, "kept"]],
      );

      // Every old file: refused, naming the file and the domain; nothing deleted.
      const all = await api(`/api/v1/moves/${started.id}/cleanup`, {});
      assertEquals(all.status, 409);
      const sentence = all.json().error.message;
      assertStringIncludes(sentence, oldBase);
      assertStringIncludes(sentence, `still used by domain ${other.name}`);
      assertStringIncludes(sentence, "Nothing was deleted");
      assertEquals([await exists(oldTop), await exists(oldMid), await exists(oldBase)], [
        true,
        true,
        true,
      ]);

      // A file that is not the move's: 400, nothing deleted.
      const stranger = await api(`/api/v1/moves/${started.id}/cleanup`, {
        files: [other.disks[0].chain[0]],
      });
      assertEquals(stranger.status, 400);
      assert(await exists(other.disks[0].chain[0]));

      // Without the base: the two others go.
      const some = await api(`/api/v1/moves/${started.id}/cleanup`, { files: [oldTop, oldMid] });
      assertEquals(some.status, 200);
      const { cleanup: done } = some.json();
      assertEquals(
        done.results.map((r: { path: string; deleted: boolean }) => [r.path, r.deleted]),
        [[oldTop, true], [oldMid, true]],
      );
      assertEquals([await exists(oldTop), await exists(oldMid), await exists(oldBase)], [
        false,
        false,
        true,
      ]);
      // Asking again: the files already gone are said so, nothing fails.
      const again = await api(`/api/v1/moves/${started.id}/cleanup`, { files: [oldTop] });
      assertEquals(again.status, 200);
      assertEquals(again.json().cleanup.results[0].reason, "it was already gone");

      // The domain still runs, on the new chain.
      const domain = await services.inventory.getDomain(dom.uuid);
      assertEquals(domain?.state, "running");
      assertEquals(domain?.disks[0].chain[0].path, `${dom.dir}/moved/snap2.qcow2`);

      const entries = security.audit.query({ user: "otto" }).entries
        .filter((e) => e.action.includes("move.cleanup"));
      const rows = entries.map((e) => [e.result, e.message]).reverse();
      assertEquals(rows.map(([result]) => result), ["refused", "refused", "refused", "ok", "ok"]);
      assertStringIncludes(rows[1][1], oldBase);
      assertStringIncludes(rows[3][1], `deleted ${oldTop}`);
      assertStringIncludes(rows[4][1], `deleted ${oldMid}`);
    } finally {
      await engine.detach();
      await services.monitor.stop();
    }
  },
);
