/** The copy form names the disk's backing-file directories that are not storage roots. */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { directoriesOutsideRoots } from "../../server/security/storage_roots.ts";
import { world } from "../support/app_world.ts";
import { IMG } from "../jobs/fixtures.ts";

Deno.test("directoriesOutsideRoots: directories not under any root, devices and duplicates dropped", () => {
  assertEquals(
    directoriesOutsideRoots(["/srv/b/x.qcow2", "/srv/b/y.qcow2", "/r/a/z.qcow2", "/dev/sdb"], [
      "/r",
    ]),
    ["/srv/b"],
  );
});

Deno.test("page: the copy form says which backing directories are not storage roots", async () => {
  const w = await world();
  try {
    const res = await w.request("/domains/bbfix-vm1", { as: await w.login("operator") });
    const html = await res.text();
    // The fixture's backing files live in IMG; the world's only root is a temporary directory.
    assertStringIncludes(html, `Not a storage root: ${IMG}`);
    assertStringIncludes(html, "--storage-root");
    assert(html.includes(`Allowed directories: ${w.root}`), "the roots are listed too");
  } finally {
    await w.cleanup();
  }
});
