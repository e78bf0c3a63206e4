import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  chainMismatch,
  type ResolvedLayer,
  reusedDestinationProblem,
} from "../../server/jobs/chain_match.ts";

const L = (path: string, realPath: string | null = path, format = "qcow2"): ResolvedLayer => ({
  path,
  realPath,
  format,
});
const disk = [L("/r/vda/snap1.qcow2"), L("/r/vda/base.qcow2")];

Deno.test("reusedDestinationProblem: shallow needs exactly the disk's backing chain", () => {
  // Backed through a relative name that resolves to the same files: fine.
  const good = [
    L("/r/dst/top.qcow2"),
    L("/r/dst/../vda/snap1.qcow2", "/r/vda/snap1.qcow2"),
    disk[1],
  ];
  assertEquals(reusedDestinationProblem(good, disk, true), null);
  assertStringIncludes(
    reusedDestinationProblem([L("/r/dst/top.qcow2")], disk, true) ?? "",
    "has no backing file",
  );
  assertStringIncludes(
    reusedDestinationProblem([L("/r/dst/top.qcow2"), disk[1]], disk, true) ?? "",
    "layer 1 below the top is /r/vda/base.qcow2",
  );
  const rawBacking = [L("/r/dst/top.qcow2"), L("/r/vda/snap1.qcow2", undefined, "raw"), disk[1]];
  assertStringIncludes(reusedDestinationProblem(rawBacking, disk, true) ?? "", "[raw]");
  assertStringIncludes(
    reusedDestinationProblem([...good, L("/r/extra.qcow2")], disk, true) ?? "",
    "layer 3 below the top",
  );
});

Deno.test("reusedDestinationProblem: a full copy needs a destination without backing file", () => {
  assertEquals(reusedDestinationProblem([L("/r/dst/full.qcow2")], disk, false), null);
  assertStringIncludes(
    reusedDestinationProblem([L("/r/dst/full.qcow2"), disk[0]], disk, false) ?? "",
    "has a backing file",
  );
});

Deno.test("chainMismatch: layer by layer, by real file and format", () => {
  const planned = [L("/r/c.qcow2"), L("/r/dst/../vda/snap1.qcow2", "/r/vda/snap1.qcow2")];
  assertEquals(chainMismatch(planned, [L("/r/c.qcow2"), L("/r/vda/snap1.qcow2")]), null);
  assertStringIncludes(
    chainMismatch(planned, [L("/r/c.qcow2")]) ?? "",
    "layer 1 below the top is missing",
  );
  assertStringIncludes(
    chainMismatch(planned, [L("/r/other.qcow2"), planned[1]]) ?? "",
    "the active layer",
  );
  assertStringIncludes(
    chainMismatch(planned, [L("/r/c.qcow2", undefined, "raw"), planned[1]]) ?? "",
    "[raw]",
  );
});
