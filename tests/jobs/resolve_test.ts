/** How a job that vanished without an event ended, from the chain. Pure. */
import { assertEquals } from "@std/assert";
import { decideVanished } from "../../server/jobs/resolve.ts";
import type { XmlDisk } from "../../server/virsh/parse/domxml.ts";

function disk(paths: string[], mirror = false): XmlDisk {
  return {
    target: "vda",
    bus: "virtio",
    device: "disk",
    type: "file",
    chain: paths.map((path, i) => ({ index: i + 1, type: "file", path, format: "qcow2" })),
    chainOpenEnded: false,
    mirror: mirror ? { path: "/x/copy", format: "qcow2", job: "copy", ready: "yes" } : null,
    readonly: false,
  };
}

Deno.test("decideVanished reads the chain", () => {
  assertEquals(
    decideVanished({ type: "copy", target: "vda", dest: "/x/copy" }, disk(["/x/copy"])).phase,
    "pivoted",
  );
  assertEquals(
    decideVanished({ type: "copy", target: "vda", dest: "/x/copy" }, disk(["/x/top", "/x/b"]))
      .phase,
    "unknown",
  );
  assertEquals(
    decideVanished({ type: "active-commit", target: "vda", base: "/x/b" }, disk(["/x/b"])).phase,
    "pivoted",
  );
  assertEquals(
    decideVanished({ type: "pull", target: "vda" }, disk(["/x/top"])).phase,
    "completed",
  );
  assertEquals(
    decideVanished({ type: "pull", target: "vda", base: "/x/b" }, disk(["/x/top", "/x/b"])).phase,
    "completed",
  );
  assertEquals(
    decideVanished({ type: "pull", target: "vda" }, disk(["/x/top", "/x/mid", "/x/b"])).phase,
    "unknown",
  );
  assertEquals(
    decideVanished({ type: "commit", target: "vda", top: "/x/mid" }, disk(["/x/top", "/x/b"]))
      .phase,
    "completed",
  );
  assertEquals(decideVanished({ type: "pull", target: "vda" }, null).phase, "unknown");
});
