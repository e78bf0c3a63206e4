/**
 * A real lab domain named `--pivot` goes through every job operation of the API, and every virsh
 * call names it by UUID: the name never reaches virsh's option parser.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { parseListUuidName } from "../../server/virsh/parse/list.ts";
import { createLabDomain, LAB_URI, labVirsh, waitFor } from "../lab/lab.ts";
import { chainPaths } from "../jobs/lab_harness.ts";

const NAME = "--pivot";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

Deno.test("a domain named --pivot: pull, copy, bandwidth, pivot, active commit, keep, abort", async () => {
  // A leftover of an aborted run would clash; remove it by UUID.
  for (const d of parseListUuidName((await labVirsh("list", "--all", "--uuid", "--name")).stdout)) {
    if (d.name !== NAME) continue;
    await labVirsh("destroy", "--domain", d.uuid);
    await labVirsh("undefine", "--domain", d.uuid);
  }
  await using dom = await createLabDomain({
    name: NAME,
    persistent: true,
    disks: [{ target: "vda", layers: 3 }],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const argvs: string[][] = [];
  runner.onCall((r) => argvs.push(r.argv));
  const services = createServices(runner, { inventoryCacheMs: 0, monitor: { intervalMs: 250 } });
  await services.monitor.start();
  const app = createApp(services);
  const base = `/api/v1/domains/${encodeURIComponent(NAME)}/disks/vda`;
  const post = (path: string, body: unknown) =>
    app.request(`${base}${path}`, { method: "POST", body: JSON.stringify(body) });
  const phase = (wanted: string[]) =>
    waitFor(`job phase ${wanted.join("|")}`, async () => {
      const { job } = await (await app.request(`${base}/job`)).json();
      return job && wanted.includes(job.phase) ? job : null;
    }, { timeoutMs: 60_000, intervalMs: 200 });
  try {
    const [top, , baseLayer] = dom.disks[0].chain;

    // Pull everything above the base into the top.
    assertEquals((await post("/pull", { base: baseLayer })).status, 202);
    assertEquals((await phase(["completed", "failed", "unknown"])).phase, "completed");
    assertEquals(await chainPaths(dom.uuid, "vda"), [top, baseLayer]);

    // Shallow copy (keeps the base as its backing file), throttled; lift the limit; pivot.
    const dest = `${dom.dir}/vda/copy.qcow2`;
    const copy = await post("/copy", { dest, shallow: true, bandwidthBytes: 1024 * 1024 });
    assertEquals(copy.status, 202, await copy.clone().text());
    assertEquals((await post("/job/bandwidth", { bandwidthBytes: 0 })).status, 200);
    await phase(["ready"]);
    const pivot = await post("/job/pivot", {});
    assertEquals(pivot.status, 200, await pivot.clone().text());
    assertEquals((await pivot.json()).job.phase, "pivoted");
    assertEquals(await chainPaths(dom.uuid, "vda"), [dest, baseLayer]);

    // Active commit of the copy into its backing file; keep the top (abort while synchronized).
    const commit = await post("/commit", {});
    assertEquals(commit.status, 202, await commit.clone().text());
    await phase(["ready"]);
    const keep = await post("/job/abort", { mode: "keep-copy" });
    assertEquals(keep.status, 200, await keep.clone().text());
    assertEquals((await keep.json()).job.phase, "kept-copy");
    assertEquals((await chainPaths(dom.uuid, "vda"))[0], dest);

    // A plain abort of a fresh throttled copy.
    assertEquals(
      (await post("/copy", { dest: `${dom.dir}/vda/copy2.qcow2`, bandwidthBytes: 1024 * 1024 }))
        .status,
      202,
    );
    const abort = await post("/job/abort", {});
    assertEquals(abort.status, 200);
    assertEquals((await abort.json()).job.phase, "canceled");

    // Every call named the domain by UUID (or did not name it).
    for (const argv of argvs) {
      const i = argv.indexOf("--domain");
      if (i >= 0) {
        assert(UUID_RE.test(argv[i + 1]), `argv names the domain by name: ${argv.join(" ")}`);
      }
      assert(!argv.slice(3).includes(NAME) || argv.includes("blockjob"), argv.join(" "));
    }
  } finally {
    await services.monitor.stop();
  }
});
