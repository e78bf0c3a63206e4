/**
 * The app's answers for a job a storage move owns, through `app.request()` with security on:
 * the API's pivot, abort, keep copy and bandwidth answer 409 with the sentence naming the move,
 * the form's buttons the same, the terminal refuses `blockjob --pivot/--abort` on the disk; and
 * none of them runs a virsh command that changes anything.
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { moveOwner } from "../../server/jobs/owners.ts";
import { assertNoMutatingVirsh, messageOf, VM1, world } from "../support/app_world.ts";
import { IMG } from "./fixtures.ts";

const SENTENCE = "disk vda's copy is part of storage move m-7; switch or cancel the move instead";

Deno.test("API, form and terminal refuse controlling a move's mirror, naming the move", async () => {
  const w = await world();
  try {
    const book = w.services.monitor.book;
    book.owners.claim({ uuid: VM1.uuid, target: "vda" }, moveOwner("m-7"));
    book.begin({
      uuid: VM1.uuid,
      domain: VM1.name,
      target: "vda",
      type: "copy",
      bandwidthBytes: 0,
      dest: `${IMG}/moved/top.qcow2`,
    });
    book.confirm({ uuid: VM1.uuid, target: "vda" });
    const operator = await w.login("operator");
    const api = `/api/v1/domains/${VM1.name}/disks/vda/job`;
    for (
      const [path, json] of [
        [`${api}/pivot`, {}],
        [`${api}/abort`, {}],
        [`${api}/abort`, { mode: "keep-copy" }],
        [`${api}/bandwidth`, { bandwidthBytes: 1048576 }],
      ] as const
    ) {
      const res = await w.request(path, { as: operator, json });
      assertEquals(res.status, 409, path);
      const body = await res.json();
      assertEquals(body.error.code, "conflict");
      assertEquals(body.error.message, SENTENCE);
    }
    const ui = `/ui/domains/${VM1.uuid}/disks/vda/job`;
    for (const action of ["pivot", "keep", "abort"]) {
      const res = await w.request(`${ui}/${action}`, {
        as: operator,
        body: "",
        type: "application/x-www-form-urlencoded",
      });
      assertEquals(res.status, 409, action);
      assertStringIncludes(await res.text(), SENTENCE.replace("'", "&#39;"));
    }
    for (const line of [`blockjob ${VM1.name} vda --pivot`, `blockjob ${VM1.uuid} vda --abort`]) {
      const res = await w.request("/api/v1/terminal", { as: operator, json: { command: line } });
      assertEquals(res.status, 400, line);
      assertEquals(await messageOf(res), SENTENCE);
    }
    assertNoMutatingVirsh(w.runner);
    // The JSON job names its owner.
    const job = await (await w.request(`${api}`, { as: operator })).json();
    assertEquals(job.job.owner, { kind: "move", id: "m-7", label: "storage move m-7" });
  } finally {
    await w.cleanup();
  }
});
