/**
 * Sizes on the page against real images: a 100 MiB qcow2 layer reads "100 MiB" (not "1 MiB"),
 * a 300 MiB raw disk "300 MiB".
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI } from "../lab/lab.ts";

Deno.test("a 100 MiB layer and a 300 MiB disk read 100 MiB and 300 MiB on the domain page", async () => {
  await using dom = await createLabDomain({
    disks: [
      { target: "vda", format: "qcow2", layers: 2, sizeMiB: 100 },
      { target: "vdb", format: "raw", sizeMiB: 300 },
    ],
  });
  const runner = new SpawnRunner({ uri: LAB_URI });
  const app = createApp(
    createServices(runner, { inventoryCacheMs: 0, monitor: { sampling: false, events: false } }),
  );
  const res = await app.request(`/domains/${encodeURIComponent(dom.name)}`);
  assertEquals(res.status, 200);
  const html = await res.text();
  const virtual = [...html.matchAll(/virtual <b>([^<]*)<\/b>/g)].map((m) => m[1]);
  assertEquals(virtual, ["100 MiB", "100 MiB", "300 MiB"]);
  assertStringIncludes(html, "300 MiB");
});
