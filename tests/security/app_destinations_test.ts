/** The copy-destination rule against a real temporary directory tree. */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  checkCopyDestination,
  copyDestinationProblem,
  type DestinationOptions,
  layerPlaceProblem,
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

Deno.test("destinations: a 1777 or group-writable subdirectory under a root is refused", async () => {
  const t = await tree();
  const opts = { reuseExternal: false, roots: [t.root] };
  try {
    await Deno.mkdir(`${t.root}/shared`);
    await Deno.chmod(`${t.root}/shared`, 0o1777);
    refused(`${t.root}/shared/x.img`, opts, "writable by everyone");
    await Deno.mkdir(`${t.root}/shared/deeper`, { mode: 0o755 });
    await Deno.chmod(`${t.root}/shared/deeper`, 0o755);
    refused(`${t.root}/shared/deeper/x.img`, opts, `${t.root}/shared is writable by everyone`);
    await Deno.chmod(`${t.root}/shared`, 0o775);
    refused(`${t.root}/shared/x.img`, opts, "writable by its group");
    await Deno.chmod(`${t.root}/shared`, 0o755);
    checkCopyDestination(`${t.root}/shared/deeper/x.img`, opts);
  } finally {
    await t.cleanup();
  }
});

Deno.test("destinations: a directory owned by another user under a root is refused", async () => {
  const t = await tree();
  const opts = { reuseExternal: false, roots: [t.root] };
  try {
    await Deno.mkdir(`${t.root}/users`, { mode: 0o755 });
    await Deno.chmod(`${t.root}/users`, 0o755);
    await Deno.chown(`${t.root}/users`, 65534, 65534);
    refused(`${t.root}/users/x.img`, opts, "belongs to uid 65534");
    // The same directory is fine when its owner is trusted explicitly.
    checkCopyDestination(`${t.root}/users/x.img`, { ...opts, trustedUids: [65534] });
  } finally {
    await t.cleanup();
  }
});

Deno.test("destinations: sticky root-owned directories are fine above the root only", async () => {
  const t = await tree();
  try {
    // The temporary tree itself lives in /tmp (1777, root): above the root, accepted.
    assertEquals(Deno.statSync("/tmp").mode! & 0o1777, 0o1777);
    checkCopyDestination(`${t.root}/x.img`, { reuseExternal: false, roots: [t.root] });
    // With the sticky directory as the parent, others could create the destination's name first.
    await Deno.chmod(t.root, 0o1777);
    refused(`${t.root}/x.img`, { reuseExternal: false, roots: [t.root] }, "writable by everyone");
  } finally {
    await t.cleanup();
  }
});

Deno.test("destinations: a reused file owned or writable by others is refused", async () => {
  const t = await tree();
  const opts = { reuseExternal: true, roots: [t.root] };
  try {
    await Deno.chmod(`${t.root}/existing.img`, 0o644);
    checkCopyDestination(`${t.root}/existing.img`, opts);
    await Deno.chmod(`${t.root}/existing.img`, 0o666);
    refused(`${t.root}/existing.img`, opts, "writable by group or others");
    await Deno.chmod(`${t.root}/existing.img`, 0o644);
    await Deno.chown(`${t.root}/existing.img`, 65534, 65534);
    refused(`${t.root}/existing.img`, opts, "belongs to uid 65534");
  } finally {
    await t.cleanup();
  }
});

Deno.test("layerPlaceProblem: backing layers must resolve inside a root, in trusted directories", async () => {
  const t = await tree();
  try {
    assertEquals(layerPlaceProblem(`${t.root}/existing.img`, [t.root]), null);
    assertStringIncludes(
      layerPlaceProblem("/etc/shadow", [t.root]) ?? "(accepted)",
      "outside the storage roots",
    );
    await Deno.chmod(`${t.root}/sub`, 0o777);
    assertStringIncludes(
      layerPlaceProblem(`${t.root}/sub/x.qcow2`, [t.root]) ?? "(accepted)",
      "writable by everyone",
    );
  } finally {
    await t.cleanup();
  }
});
