/**
 * Lab: a guest writes a qcow2 header (backing file /etc/hostname) into its RAW disk. blockboard
 * must keep treating it as raw: show it as raw, copy it with `--format raw`, and the copy must
 * have no backing file when read as raw. Runs against real libvirt through the secured app.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { testSecurity } from "../support/security.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, qemuImg } from "../lab/lab.ts";

const HOST = "127.0.0.1:8080";

Deno.test({
  name: "lab: a guest-planted qcow2 header in a raw disk is copied as raw, without backing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dom = await createLabDomain({
      name: `bbsec-planted-${Date.now().toString(36)}`,
      disks: [{ target: "vda" }, { target: "vdb", format: "raw", sizeMiB: 16 }],
    });
    const vdb = dom.disks.find((d) => d.target === "vdb")!;
    const rawPath = vdb.chain[0];

    // The "guest" plants a qcow2 header naming a host file as its backing file.
    const header = `${dom.dir}/planted-header.qcow2`;
    const made = await qemuImg(
      "create",
      "-f",
      "qcow2",
      "-b",
      "/etc/hostname",
      "-F",
      "raw",
      header,
      "1M",
    );
    assertEquals(made.code, 0, made.stderr);
    const dd = await new Deno.Command("dd", {
      args: [`if=${header}`, `of=${rawPath}`, "conv=notrunc", "status=none"],
    }).output();
    assertEquals(dd.code, 0, new TextDecoder().decode(dd.stderr));
    // A format probe would now be fooled:
    const probed = await qemuImg("info", "--output=json", "-U", rawPath);
    assertEquals(JSON.parse(probed.stdout).format, "qcow2", "the header is in place");

    const runner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
    const roots = [dom.dir];
    const services = createServices(runner, { storageRoots: roots });
    const security = testSecurity();
    const { token } = await security.tokens.create("lab", "operator");
    const app = createApp({ ...services, security });
    await services.monitor.start();
    const api = (path: string, json?: unknown) =>
      app.request(path, {
        method: json === undefined ? "GET" : "POST",
        headers: {
          host: HOST,
          authorization: `Bearer ${token}`,
          ...(json === undefined ? {} : { "content-type": "application/json" }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
    const base = `/api/v1/domains/${encodeURIComponent(dom.name)}/disks/vdb`;
    try {
      const shown = await api(`/api/v1/domains/${encodeURIComponent(dom.name)}`);
      assertEquals(shown.status, 200);
      const domain = await shown.json();
      const disks = (domain.domain ?? domain).disks as { target: string; format: string }[];
      assertEquals(disks.find((d) => d.target === "vdb")?.format, "raw");

      const dest = `${dom.dir}/vdb-copy.raw`;
      const started = await api(`${base}/copy`, { dest, bandwidthBytes: 0 });
      assertEquals(started.status, 202, await started.clone().text());
      const copyCall = security.audit.query({ result: "ok" }).entries.find((e) =>
        e.argv?.includes("blockcopy")
      );
      assert(copyCall, "the blockcopy is in the audit log");
      const argv = copyCall.argv!;
      assertEquals(argv[argv.indexOf("--format") + 1], "raw");
      assertEquals(copyCall.user, "token:lab");

      const deadline = Date.now() + 60_000;
      let phase = "";
      while (Date.now() < deadline) {
        const job = (await (await api(`${base}/job`)).json()).job;
        phase = job?.phase ?? "";
        if (phase === "ready") break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assertEquals(phase, "ready", "copy reached ready");
      const aborted = await api(`${base}/job/abort`, { mode: "keep-copy" });
      assertEquals(aborted.status, 200, await aborted.clone().text());

      const info = await qemuImg("info", "-f", "raw", "--output=json", "-U", dest);
      assertEquals(info.code, 0, info.stderr);
      const parsed = JSON.parse(info.stdout);
      assertEquals(parsed.format, "raw");
      assertEquals(parsed["backing-filename"], undefined);
      assertEquals(parsed["full-backing-filename"], undefined);
    } finally {
      await services.monitor.stop?.();
    }
  },
});
