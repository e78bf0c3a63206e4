/**
 * Lab: pre-created (reuse-external) destinations whose own header would drop the guest's backing
 * data or hand QEMU a host file are refused with 400 and a reason, in the preview and on Start,
 * before any blockcopy runs — from the form, the API and the web terminal alike. Real domain, real
 * virsh and qemu-img, the secured app.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, labVirsh, qemuImg, uniqueName } from "../lab/lab.ts";
import { rawJob } from "../jobs/lab_harness.ts";
import { dropBackingFormat, labApp } from "./lab_app.ts";

/** `qemu-img create` that must succeed (`-u`: the backing file is not opened). */
async function create(...args: string[]) {
  const r = await qemuImg("create", "-q", "-f", "qcow2", ...args);
  assertEquals(r.code, 0, r.stderr);
}

Deno.test({
  name: "lab: reuse-external destinations with a missing, foreign or host-file backing are refused",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dom = await createLabDomain({
      name: uniqueName("bbsec-reuse-"),
      disks: [{ target: "vda" }, { target: "vdb", layers: 1, sizeMiB: 16 }],
    });
    const vda = dom.disks[0];
    const dst = `${dom.dir}/dst`;
    await Deno.mkdir(dst, { mode: 0o755 });
    await using lab = await labApp({
      runner: new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 }),
      roots: [dom.dir],
    });
    const deep = "../".repeat(12) + "etc/shadow";

    await create(`${dst}/nobacking.qcow2`, "64M");
    await create("-u", "-b", "/etc/shadow", "-F", "raw", `${dst}/shadow.qcow2`, "64M");
    await create("-u", "-b", "/etc/shadow", "-F", "raw", `${dst}/shadow-nofmt.qcow2`, "64M");
    await dropBackingFormat(`${dst}/shadow-nofmt.qcow2`);
    await create("-u", "-b", deep, "-F", "raw", `${dst}/shadow-rel.qcow2`, "64M");
    await create("-u", "-b", "../../../etc/shadow", "-F", "raw", `${dst}/shadow-rel3.qcow2`, "64M");
    await create("-u", "-b", deep, "-F", "raw", `${dst}/shadow-rel-nofmt.qcow2`, "64M");
    await dropBackingFormat(`${dst}/shadow-rel-nofmt.qcow2`);
    // Backed by the disk's *base* instead of its current backing layer (snap1).
    await create("-b", vda.chain[2], "-F", "qcow2", `${dst}/wrong-layer.qcow2`);
    // Backed by the right layer, for a full (non-shallow) copy, which must have no backing file.
    await create("-b", vda.chain[1], "-F", "qcow2", `${dst}/backed.qcow2`);

    const cases: { file: string; shallow: boolean; reason: string }[] = [
      { file: "nobacking.qcow2", shallow: true, reason: "has no backing file" },
      { file: "shadow.qcow2", shallow: false, reason: "outside the storage roots" },
      { file: "shadow.qcow2", shallow: true, reason: "outside the storage roots" },
      { file: "shadow-nofmt.qcow2", shallow: false, reason: "without its format" },
      { file: "shadow-nofmt.qcow2", shallow: true, reason: "without its format" },
      { file: "shadow-rel.qcow2", shallow: false, reason: "resolves to /etc/shadow" },
      { file: "shadow-rel3.qcow2", shallow: false, reason: "does not exist" },
      { file: "shadow-rel-nofmt.qcow2", shallow: true, reason: "without its format" },
      { file: "wrong-layer.qcow2", shallow: true, reason: "is not the disk" },
      { file: "backed.qcow2", shallow: false, reason: "has a backing file" },
      // The domain's other disk, which its QEMU holds open for writing.
      {
        file: `../vdb/${dom.disks[1].chain[0].split("/").pop()}`,
        shallow: false,
        reason: "in use",
      },
    ];
    for (const c of cases) {
      const dest = c.file.startsWith("../") ? `${dom.dir}/${c.file.slice(3)}` : `${dst}/${c.file}`;
      const label = `${c.file} shallow=${c.shallow}`;
      // The preview already says why (the form shows it before Start).
      const fragment = await lab.preview(dom.uuid, {
        dest,
        format: "qcow2",
        reuseExternal: "on",
        ...(c.shallow ? { shallow: "on" } : {}),
      });
      assertStringIncludes(fragment, "error-message", label);
      assertStringIncludes(fragment, c.reason, label);
      const res = await lab.copy(dom.name, {
        dest,
        format: "qcow2",
        reuseExternal: true,
        shallow: c.shallow,
      });
      const body = await res.json();
      assertEquals(res.status, 400, `${label}: ${JSON.stringify(body)}`);
      assertStringIncludes(body.error.message, c.reason, label);
      assert(!lab.copied(), `${label}: no blockcopy may run`);
      assertEquals(await rawJob(dom.uuid, "vda"), null, `${label}: no job on the disk`);

      // The same line typed in the web terminal gets the same check.
      const typed = await lab.request("/api/v1/terminal", {
        json: {
          command: `blockcopy ${dom.uuid} vda ${dest} --reuse-external --format qcow2 ${
            c.shallow ? "--shallow " : ""
          }--transient-job`,
        },
      });
      const refusal = await typed.json();
      assertEquals(typed.status, 400, `terminal ${label}: ${JSON.stringify(refusal)}`);
      assertStringIncludes(refusal.error.message, c.reason, `terminal ${label}`);
      assert(!lab.copied(), `terminal ${label}: no blockcopy may run`);
    }

    // A destination outside the roots is refused in the preview too, not only on Start.
    const outside = await lab.preview(dom.uuid, {
      dest: "/var/tmp/bb-copy.qcow2",
      format: "qcow2",
    });
    assertStringIncludes(outside, "not inside a storage root");
    assert(!lab.copied());

    // A destination backed by exactly the disk's backing chain passes, from the terminal too.
    await create("-b", vda.chain[1], "-F", "qcow2", `${dst}/good.qcow2`);
    const good = await lab.request("/api/v1/terminal", {
      json: {
        command:
          `blockcopy ${dom.uuid} vda ${dst}/good.qcow2 --reuse-external --format qcow2 --shallow --transient-job --bandwidth 1`,
      },
    });
    assertEquals(good.status, 200, await good.clone().text());
    assertEquals((await good.json()).exitCode, 0);
    assert(lab.copied(), "the checked line ran");
    assert(await rawJob(dom.uuid, "vda"), "the copy runs");
    assertEquals(
      (await labVirsh("blockjob", "--domain", dom.uuid, "--path", "vda", "--abort")).code,
      0,
    );
  },
});
