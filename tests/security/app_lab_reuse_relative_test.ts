/**
 * Lab: a correct pre-created destination (qcow2 whose header names the disk's current backing
 * layer by a relative path) is previewed with the chain its header gives, copied shallow, pivoted,
 * and the whole chain libvirt then reports matches the plan; the guest's data is intact.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, qemuImg, uniqueName, waitFor } from "../lab/lab.ts";
import { chainPaths } from "../jobs/lab_harness.ts";
import { labApp } from "./lab_app.ts";

Deno.test({
  name:
    "lab: shallow reuse-external into a relative-backing destination: copy, pivot, whole chain verified",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dom = await createLabDomain({ name: uniqueName("bbsec-rel-") });
    const [oldTop, snap1, base] = dom.disks[0].chain;
    const dst = `${dom.dir}/dst`;
    await Deno.mkdir(dst, { mode: 0o755 });
    const dest = `${dst}/top.qcow2`;
    const relative = `../vda/${snap1.slice(snap1.lastIndexOf("/") + 1)}`;
    const made = await qemuImg("create", "-q", "-f", "qcow2", "-b", relative, "-F", "qcow2", dest);
    assertEquals(made.code, 0, made.stderr);

    await using lab = await labApp({
      runner: new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 }),
      roots: [dom.dir],
    });
    await lab.services.monitor.start();
    const form = { dest, format: "qcow2", shallow: "on", reuseExternal: "on" };
    const preview = await lab.preview(dom.uuid, form);
    assert(!preview.includes("error-message"), preview);
    // The chain afterwards is what the destination's header says, relative name resolved.
    for (const path of [dest, `${dst}/${relative}`, base]) assertStringIncludes(preview, path);

    const started = await lab.copy(dom.name, {
      dest,
      format: "qcow2",
      shallow: true,
      reuseExternal: true,
    });
    assertEquals(started.status, 202, await started.clone().text());
    const job = `/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vda/job`;
    await waitFor("the copy to be ready", async () => {
      const j = (await (await lab.request(job)).json()).job;
      return j?.phase === "ready";
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const pivoted = await lab.request(`${job}/pivot`, { json: {} });
    const body = await pivoted.json();
    assertEquals(pivoted.status, 200, JSON.stringify(body));
    assertEquals(body.job.phase, "pivoted");
    assert(!String(body.job.message ?? "").includes("MISMATCH"), body.job.message);

    // libvirt's view: the new top on the disk's old backing layers, through the relative name.
    const live = await chainPaths(dom.uuid, "vda");
    assertEquals(live, [dest, `${dst}/${relative}`, base]);
    const info = await qemuImg("info", "-f", "qcow2", "--output=json", "-U", "--", dest);
    assertEquals(info.code, 0, info.stderr);
    const header = JSON.parse(info.stdout);
    assertEquals([header["backing-filename"], header["backing-filename-format"]], [
      relative,
      "qcow2",
    ]);
    // What the guest reads through the new chain is what it read through the old one.
    const same = await qemuImg("compare", "-U", "-f", "qcow2", "-F", "qcow2", oldTop, dest);
    assertEquals(same.code, 0, `${same.stdout}${same.stderr}`);
  },
});
