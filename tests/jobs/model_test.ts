/** The job as shown: percent and the outcome sentences. Pure. */
import { assertEquals } from "@std/assert";
import { outcomeSentence, percentOf } from "../../server/jobs/model.ts";

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
