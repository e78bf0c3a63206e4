import { assertEquals } from "@std/assert";
import { pushSample, type Sample, windowStats } from "../../server/jobs/rate.ts";
import { outcomeSentence, percentOf } from "../../server/jobs/model.ts";
import { decideVanished } from "../../server/jobs/resolve.ts";
import type { XmlDisk } from "../../server/virsh/parse/domxml.ts";

Deno.test("pushSample keeps the window and restarts when cur goes back", () => {
  let s: Sample[] = [];
  for (let t = 0; t <= 20_000; t += 1000) s = pushSample(s, { t, cur: t, end: 100_000 }, 5000);
  assertEquals(s[0].t, 15_000);
  assertEquals(s.length, 6);
  s = pushSample(s, { t: 21_000, cur: 0, end: 100 }, 5000);
  assertEquals(s, [{ t: 21_000, cur: 0, end: 100 }]);
});

Deno.test("windowStats: no rate from one sample or a too short span", () => {
  assertEquals(windowStats([{ t: 0, cur: 0, end: 10 }], false).rateBytesPerSecond, null);
  assertEquals(
    windowStats([{ t: 0, cur: 0, end: 10 }, { t: 100, cur: 5, end: 10 }], false)
      .rateBytesPerSecond,
    null,
  );
});

Deno.test("windowStats: rate, ETA, convergence", () => {
  const s = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 4000, end: 10_000 }];
  assertEquals(windowStats(s, true), { rateBytesPerSecond: 1000, etaSeconds: 6, converging: true });
  const stalled = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 0, end: 10_000 }];
  assertEquals(windowStats(stalled, true), {
    rateBytesPerSecond: 0,
    etaSeconds: null,
    converging: null,
  });
  const chasing = [{ t: 0, cur: 0, end: 10_000 }, { t: 4000, cur: 4000, end: 14_000 }];
  assertEquals(windowStats(chasing, true).converging, false);
  assertEquals(windowStats(chasing, false).converging, null);
});

Deno.test("percentOf floors so that 100 means done", () => {
  assertEquals(percentOf(0, 0), 0);
  assertEquals(percentOf(999, 1000), 99.9);
  assertEquals(percentOf(1, 1), 100);
});

Deno.test("outcome sentences say what the end means for the data", () => {
  const at = new Date(2026, 0, 1, 14, 2, 11);
  assertEquals(
    outcomeSentence({
      type: "copy",
      phase: "kept-copy",
      dest: "/x/copy.qcow2",
      source: "/x/a.qcow2",
      wasReady: true,
      at,
    }),
    "aborted while mirroring: /x/copy.qcow2 is a consistent image as of 14:02:11; the domain stays on /x/a.qcow2",
  );
  assertEquals(
    outcomeSentence({ type: "copy", phase: "pivoted", dest: "/x/copy.qcow2", wasReady: true, at }),
    "pivoted: the domain now runs on /x/copy.qcow2",
  );
  assertEquals(
    outcomeSentence({ type: "copy", phase: "canceled", dest: "/x/c", wasReady: false, at })
      .startsWith("canceled before the copy was synchronized: /x/c is incomplete"),
    true,
  );
});

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
