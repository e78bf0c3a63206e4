/**
 * The clean-up rules without a lab: which files left a chain, the qcow2 backing name read from
 * real images (made with qemu-img), and every refusal — outside the roots, a symlink, a file in
 * a domain's chain, a file only a shut-off domain's image header names, a missing file.
 */
import { assertEquals } from "@std/assert";
import { checkCleanup, leftChain, qcow2BackingFile } from "../../server/jobs/cleanup.ts";
import { qemuImg } from "../lab/lab.ts";
import { FakeRunner } from "../support/fake_runner.ts";

Deno.test("leftChain: files of the chain before that are not in the chain after, in order", () => {
  assertEquals(leftChain(["/i/top", "/i/mid", "/i/base"], ["/i/top"]), ["/i/mid", "/i/base"]);
  assertEquals(leftChain(["/i/top", "/i/mid", "/i/base"], ["/i/copy", "/i/mid", "/i/base"]), [
    "/i/top",
  ]);
  assertEquals(leftChain(["/i/top", "/i/base"], ["/i/top", "/i/base"]), []);
});

/** A temp root with base ← mid ← top (qcow2), plus a file outside it. */
async function images() {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "bb-cleanup-" }));
  const root = `${dir}/root`;
  await Deno.mkdir(root);
  const mk = async (name: string, backing?: string) => {
    const args = ["create", "-q", "-f", "qcow2"];
    if (backing) args.push("-b", backing, "-F", "qcow2");
    const r = await qemuImg(...args, `${root}/${name}`, "1M");
    if (r.code !== 0) throw new Error(r.stderr);
    return `${root}/${name}`;
  };
  const base = await mk("base.qcow2");
  const mid = await mk("mid.qcow2", "base.qcow2"); // relative, as qemu-img writes it
  const top = await mk("top.qcow2", mid);
  const outside = `${dir}/outside.qcow2`;
  await Deno.writeTextFile(outside, "x");
  const link = `${root}/link.qcow2`;
  await Deno.symlink(base, link);
  return { dir, root, base, mid, top, outside, link };
}

function domainXml(name: string, source: string): string {
  return `<domain type='qemu'><name>${name}</name><uuid>11111111-2222-3333-4444-555555555555</uuid>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
  <source file='${source}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
}

Deno.test("qcow2BackingFile reads the header; relative names resolve against the image", async () => {
  const f = await images();
  try {
    assertEquals(await qcow2BackingFile(f.top), f.mid);
    assertEquals(await qcow2BackingFile(f.mid), f.base);
    assertEquals(await qcow2BackingFile(f.base), null);
    assertEquals(await qcow2BackingFile(f.outside), null);
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("checkCleanup refuses outside the roots, symlinks, used files (XML or headers), missing files", async () => {
  const f = await images();
  try {
    // One shut-off domain runs on top.qcow2: its XML names only top; mid and base are in its
    // chain through the image headers.
    const runner = new FakeRunner((args) => {
      if (args[0] === "list") return "11111111-2222-3333-4444-555555555555\n\n";
      if (args[0] === "dumpxml") return domainXml("web", f.top);
      throw new Error(`unexpected ${args.join(" ")}`);
    });
    const orphan = `${f.root}/orphan.qcow2`;
    await Deno.writeTextFile(orphan, "x");
    const verdicts = await checkCleanup(
      [f.top, f.mid, f.base, f.outside, f.link, orphan, `${f.root}/gone.qcow2`],
      { runner, roots: [f.root] },
    );
    const reasons = Object.fromEntries(verdicts.map((v) => [v.path, v.reason]));
    assertEquals(reasons[f.top], "it is still used by domain web, disk vda");
    assertEquals(reasons[f.mid], "it is still used by domain web, disk vda (backing chain)");
    assertEquals(reasons[f.base], "it is still used by domain web, disk vda (backing chain)");
    assertEquals(reasons[f.outside], `it is outside the storage roots (${f.root})`);
    assertEquals(reasons[f.link], "it is not a regular file (a symlink or device)");
    assertEquals(reasons[`${f.root}/gone.qcow2`], "it is already gone");
    assertEquals(reasons[orphan], null);
    assertEquals(verdicts.filter((v) => v.deletable).map((v) => v.path), [orphan]);
    // One listing, then the live and the persistent XML of the one domain.
    assertEquals(runner.calls.map((c) => c.join(" ")), [
      "list --all --uuid",
      "dumpxml --domain 11111111-2222-3333-4444-555555555555",
      "dumpxml --domain 11111111-2222-3333-4444-555555555555 --inactive",
    ]);
    // Without storage roots nothing may be deleted.
    const none = await checkCleanup([orphan], { runner, roots: null });
    assertEquals(none[0].reason, "no storage roots are configured, so blockboard deletes nothing");
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
