/**
 * Lab: a local user must not be able to make libvirt (root) create or overwrite a file outside
 * the storage roots. Directories others can write or own are refused outright (the rule that
 * closes the race); and a directory swapped for a symlink to outside *between* the checks and
 * the virsh call (done here by the test, as root, at the worst moment) is caught by the re-check
 * made right before virsh runs: nothing is written outside the roots.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import type { RunOptions, VirshCallRecord, VirshRunner } from "../../server/virsh/runner.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { SpawnQemuImg } from "../../server/images/runner.ts";
import { createLabDomain, LAB_URI, qemuImg, uniqueName } from "../lab/lab.ts";
import { rawJob } from "../jobs/lab_harness.ts";
import { labApp, outsideDir } from "./lab_app.ts";

/** Real virsh, with a hook run once before the first call matching `when`. */
class HookedRunner implements VirshRunner {
  readonly #inner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  readonly uri = LAB_URI;
  hook: { when: (args: readonly string[]) => boolean; run: () => Promise<void> } | null = null;
  fired = false;

  async run(args: readonly string[], options?: RunOptions) {
    const hook = this.hook;
    if (hook && hook.when(args)) {
      this.hook = null;
      await hook.run();
      this.fired = true;
    }
    return this.#inner.run(args, options);
  }

  onCall(listener: (record: VirshCallRecord) => void) {
    return this.#inner.onCall(listener);
  }
}

/** Replaces directory `dir` by a symlink to `target` (keeping the original aside). */
async function swapForLink(dir: string, target: string) {
  await Deno.rename(dir, `${dir}.orig`);
  await Deno.symlink(target, dir);
}

Deno.test({
  name:
    "lab: 1777 and user-owned directories under a root are refused; a swap before virsh runs is caught",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dom = await createLabDomain({ name: uniqueName("bbsec-race-") });
    await using outside = await outsideDir();
    await Deno.writeTextFile(`${outside.path}/full.qcow2`, "victim: must stay as it is\n");
    const runner = new HookedRunner();
    const real = new SpawnQemuImg();
    let afterHeader: { path: string; run: () => Promise<void> } | null = null;
    await using lab = await labApp({
      runner,
      roots: [dom.dir],
      operations: {
        qemuImg: {
          async run(args) {
            const out = await real.run(args);
            const hook = afterHeader;
            if (hook && args[args.length - 1] === hook.path) {
              afterHeader = null;
              await hook.run();
            }
            return out;
          },
        },
      },
    });
    const refusedCopy = async (body: Record<string, unknown>, reason: RegExp) => {
      const res = await lab.copy(dom.name, { format: "qcow2", ...body });
      const json = await res.json();
      assertEquals(res.status, 400, JSON.stringify(json));
      assertMatch(json.error.message, reason);
      assert(!lab.copied(), "no blockcopy may run");
      assertEquals(await rawJob(dom.uuid, "vda"), null, "no job on the disk");
    };

    // A world-writable sticky directory under a root: others could plant the name first.
    await Deno.mkdir(`${dom.dir}/shared`);
    await Deno.chmod(`${dom.dir}/shared`, 0o1777);
    await refusedCopy({ dest: `${dom.dir}/shared/c.qcow2` }, /writable by everyone/);
    // A directory a local user owns: they could swap it for a link at any moment.
    await Deno.mkdir(`${dom.dir}/user`, { mode: 0o755 });
    await Deno.chown(`${dom.dir}/user`, 65534, 65534);
    await refusedCopy({ dest: `${dom.dir}/user/c.qcow2` }, /belongs to uid 65534/);

    // New file: the directory becomes a link to outside after the checks, before the virsh call.
    await Deno.mkdir(`${dom.dir}/race`, { mode: 0o755 });
    runner.hook = {
      when: (args) => args[0] === "blockjob" && args.includes("--info"),
      run: () => swapForLink(`${dom.dir}/race`, outside.path),
    };
    await refusedCopy({ dest: `${dom.dir}/race/c.qcow2` }, /not inside a storage root/);
    assert(runner.fired, "the swap happened after the first checks had passed");

    // Reused file: the directory becomes a link to outside right after its header was read.
    await Deno.mkdir(`${dom.dir}/race2`, { mode: 0o755 });
    const made = await qemuImg("create", "-q", "-f", "qcow2", `${dom.dir}/race2/full.qcow2`, "64M");
    assertEquals(made.code, 0, made.stderr);
    afterHeader = {
      path: `${dom.dir}/race2/full.qcow2`,
      run: () => swapForLink(`${dom.dir}/race2`, outside.path),
    };
    await refusedCopy(
      { dest: `${dom.dir}/race2/full.qcow2`, reuseExternal: true },
      /not inside a storage root|was replaced/,
    );
    assertEquals(afterHeader, null, "the swap happened after the header was read");

    assertEquals(await outside.listing(), ["full.qcow2"], "nothing was created outside");
    assertStringIncludes(
      await Deno.readTextFile(`${outside.path}/full.qcow2`),
      "victim: must stay as it is",
    );
  },
});
