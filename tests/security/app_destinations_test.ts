/** The copy-destination rule against a real temporary directory tree. */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  checkCopyDestination,
  copyDestinationProblem,
  defaultStorageRoots,
  type DestinationOptions,
} from "../../server/security/destinations.ts";
import { JobInputError } from "../../server/jobs/errors.ts";

async function tree() {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "bb-dest-" }));
  const root = `${base}/root`;
  await Deno.mkdir(`${root}/sub`, { recursive: true });
  await Deno.chmod(root, 0o755);
  await Deno.mkdir(`${base}/outside`);
  await Deno.writeTextFile(`${root}/existing.img`, "x");
  await Deno.writeTextFile(`${base}/outside/secret`, "s");
  await Deno.symlink(`${base}/outside/secret`, `${root}/link.img`);
  await Deno.symlink(`${base}/outside`, `${root}/escape`);
  return { base, root, cleanup: () => Deno.remove(base, { recursive: true }) };
}

/** Refused with `reason`, the same by both entry points (the terminal's and the operations'). */
function refused(dest: string, opts: DestinationOptions, reason: string) {
  assertStringIncludes(copyDestinationProblem(dest, opts) ?? "(accepted)", reason);
  assertThrows(() => checkCopyDestination(dest, opts), JobInputError, reason);
}

Deno.test("destinations: a new file inside a root passes; an existing one with reuse passes", async () => {
  const t = await tree();
  try {
    checkCopyDestination(`${t.root}/new.img`, { reuseExternal: false, roots: [t.root] });
    checkCopyDestination(`${t.root}/sub/new.img`, { reuseExternal: false, roots: [t.root] });
    checkCopyDestination(`${t.root}/existing.img`, { reuseExternal: true, roots: [t.root] });
  } finally {
    await t.cleanup();
  }
});

Deno.test("destinations: every unsafe destination is refused with its reason", async () => {
  const t = await tree();
  const opts = { reuseExternal: false, roots: [t.root] };
  try {
    refused(`${t.root}/../outside/x.img`, opts, "'..'");
    refused("relative/x.img", opts, "absolute");
    refused(`${t.root}/a\0b`, opts, "NUL");
    refused(`${t.base}/outside/x.img`, opts, "not inside a storage root");
    refused(`${t.root}/escape/x.img`, opts, "not inside a storage root");
    refused(`${t.root}/missing/x.img`, opts, "does not exist");
    refused(`${t.root}/link.img`, opts, "symbolic link");
    refused(`${t.root}/link.img`, { ...opts, reuseExternal: true }, "symbolic link");
    refused(`${t.root}/existing.img`, opts, "already exists");
    refused(`${t.root}/nope.img`, { ...opts, reuseExternal: true }, "does not exist");
    refused(`${t.root}/sub`, { ...opts, reuseExternal: true }, "regular file or a block device");
    await Deno.chmod(t.root, 0o777);
    refused(`${t.root}/new.img`, opts, "writable by everyone");
    assertEquals((await Array.fromAsync(Deno.readDir(t.root))).length, 4, "nothing was created");
  } finally {
    await t.cleanup();
  }
});

Deno.test("destinations: a symlinked root is followed to its real path, a link into a root is not trusted", async () => {
  const t = await tree();
  try {
    await Deno.symlink(t.root, `${t.base}/rootlink`);
    // Configured as a link, the root means its target: writing there is fine.
    checkCopyDestination(`${t.base}/rootlink/x.img`, {
      reuseExternal: false,
      roots: [`${t.base}/rootlink`],
    });
    // A link to outside named as the root's child still resolves outside.
    refused(
      `${t.root}/escape/x.img`,
      { reuseExternal: false, roots: [`${t.base}/rootlink`] },
      "not inside",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("destinations: default roots are libvirt's plus image directories, nested ones folded", () => {
  assertEquals(
    defaultStorageRoots([
      "/var/lib/libvirt/images/a/vda.qcow2",
      "/srv/vm/b.qcow2",
      "/srv/vm/c.raw",
      "/dev/sdb",
      "relative.img",
    ]),
    ["/var/lib/libvirt/images", "/srv/vm"],
  );
});
