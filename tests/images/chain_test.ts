/** The chain walk on captured headers, with the file system stood in by a map of real paths. */
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  ChainRefusal,
  type ChainWalkDeps,
  resolveBackingName,
  walkHeaderChain,
} from "../../server/images/chain.ts";
import { parseImageInfo } from "../../server/images/info.ts";
import { FIX, imgFixture } from "./fixtures.ts";

/** Headers by real path (fixture names), real paths by path; everything under /r is allowed. */
function deps(
  headers: Record<string, string>,
  links: Record<string, string> = {},
): ChainWalkDeps & {
  read: string[];
} {
  const read: string[] = [];
  return {
    read,
    readHeader: (path) => {
      read.push(path);
      const name = headers[path];
      if (!name) throw new Error(`test: no header for ${path}`);
      return Promise.resolve(parseImageInfo(imgFixture(name)));
    },
    realPath: (path) => {
      const normal = links[path] ?? normalise(path);
      if (!(normal in headers) && !normal.startsWith("/etc/")) {
        return Promise.reject(new Deno.errors.NotFound(path));
      }
      return Promise.resolve(normal);
    },
    placeProblem: (real) => real.startsWith("/r/") ? null : "outside the storage roots",
  };
}

function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

Deno.test("resolveBackingName: absolute as is, relative joined to the layer's directory", () => {
  assertEquals(resolveBackingName("/r/dst/top.qcow2", "/r/base.qcow2"), "/r/base.qcow2");
  assertEquals(resolveBackingName("/r/dst/top.qcow2", "../snap1.qcow2"), "/r/dst/../snap1.qcow2");
  for (const bad of ["json:{}", "nbd://h/x", "file:/etc/shadow", "", "a\nb"]) {
    try {
      resolveBackingName("/r/top.qcow2", bad);
      throw new Error(`accepted ${JSON.stringify(bad)}`);
    } catch (e) {
      if (!(e instanceof ChainRefusal)) throw e;
    }
  }
});

Deno.test("walkHeaderChain: a relative backing chain is followed with each layer's recorded format", async () => {
  // rel -> ../snap1.qcow2 (qcow2) -> FIX/base.qcow2 (qcow2), which here is a link into /r.
  const d = deps({
    "/r/dst/rel.qcow2": "info-qcow2-relative-backing.json",
    "/r/snap1.qcow2": "info-qcow2-absolute-backing.json",
    "/r/base.qcow2": "info-qcow2-no-backing.json",
  }, { [`${FIX}/base.qcow2`]: "/r/base.qcow2" });
  const chain = await walkHeaderChain("/r/dst/rel.qcow2", "qcow2", d);
  assertEquals(chain, [
    { path: "/r/dst/rel.qcow2", realPath: "/r/dst/rel.qcow2", format: "qcow2" },
    { path: "/r/dst/../snap1.qcow2", realPath: "/r/snap1.qcow2", format: "qcow2" },
    { path: `${FIX}/base.qcow2`, realPath: "/r/base.qcow2", format: "qcow2" },
  ]);
});

Deno.test("walkHeaderChain: a backing file outside the roots is refused before its header is read", async () => {
  for (
    const fixture of [
      "info-qcow2-backing-etc-shadow.json",
      "info-qcow2-backing-relative-etc-shadow.json",
    ]
  ) {
    const d = deps({ "/r/a/b/top.qcow2": fixture });
    const e = await assertRejects(
      () => walkHeaderChain("/r/a/b/top.qcow2", "qcow2", d),
      ChainRefusal,
    );
    assertStringIncludes(e.message, "/etc/shadow");
    assertStringIncludes(e.message, "outside the storage roots");
    assertEquals(d.read, ["/r/a/b/top.qcow2"], "only the destination's header was read");
  }
});

Deno.test("walkHeaderChain: a backing file without a format, json: names and data files are refused", async () => {
  const cases: [string, string][] = [
    ["info-qcow2-backing-no-format.json", "without its format"],
    ["info-qcow2-backing-json.json", "json:"],
    ["info-qcow2-data-file.json", "external data file"],
  ];
  for (const [fixture, reason] of cases) {
    const d = deps({ "/r/top.qcow2": fixture });
    const e = await assertRejects(() => walkHeaderChain("/r/top.qcow2", "qcow2", d), ChainRefusal);
    assertStringIncludes(e.message, reason);
  }
});

Deno.test("walkHeaderChain: a missing backing file and a loop are refused", async () => {
  const missing = deps({ "/r/dst/rel.qcow2": "info-qcow2-relative-backing.json" });
  assertStringIncludes(
    (await assertRejects(() => walkHeaderChain("/r/dst/rel.qcow2", "qcow2", missing), ChainRefusal))
      .message,
    "does not exist",
  );
  // snap1's header names FIX/base.qcow2; make that resolve back to snap1 itself.
  const loop = deps({ "/r/snap1.qcow2": "info-qcow2-absolute-backing.json" }, {
    [`${FIX}/base.qcow2`]: "/r/snap1.qcow2",
  });
  assertStringIncludes(
    (await assertRejects(() => walkHeaderChain("/r/snap1.qcow2", "qcow2", loop), ChainRefusal))
      .message,
    "loops",
  );
});

Deno.test("walkHeaderChain: a raw image is a chain of one", async () => {
  const d = deps({ "/r/plain.raw": "info-raw.json" });
  assertEquals(await walkHeaderChain("/r/plain.raw", "raw", d), [
    { path: "/r/plain.raw", realPath: "/r/plain.raw", format: "raw" },
  ]);
});
