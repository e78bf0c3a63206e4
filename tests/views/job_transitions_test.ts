/** The transition detector behind the browser's job notifications (static/job_transitions.js). */
import { assertEquals } from "@std/assert";
import { detectTransitions, notificationOf, NOTIFY_PHASES } from "../../static/job_transitions.js";

const A = "11111111-2222-3333-4444-555555555555/vda";
const B = "11111111-2222-3333-4444-555555555555/vdb";
const T1 = "2026-11-29T10:00:00.000Z";
const T2 = "2026-11-29T11:00:00.000Z";

function seen(key: string, phase: string, started = T1) {
  return { key, started, phase, domain: "web <1>", target: key.slice(-3), type: "copy" };
}

/** Runs pages of observations through the detector; returns `key phase` per notification. */
function run(
  pages: ReturnType<typeof seen>[][],
  choices: { watched?: string[]; any?: boolean } = {},
) {
  let state = {};
  const told: string[] = [];
  const ended: string[] = [];
  pages.forEach((observations, i) => {
    const r = detectTransitions(state, observations, {
      watched: choices.watched ?? [],
      any: choices.any ?? false,
      initial: i === 0,
    });
    state = r.seen;
    told.push(...r.notifications.map((n) => `${n.key.slice(-3)} ${n.phase}`));
    ended.push(...r.ended);
  });
  return { told, ended };
}

Deno.test("transitions: who is told what, table", () => {
  const cases: Array<{
    name: string;
    pages: ReturnType<typeof seen>[][];
    watched?: string[];
    any?: boolean;
    told: string[];
  }> = [
    {
      name: "a watched job becomes ready, then completes",
      pages: [[seen(A, "running")], [seen(A, "running")], [seen(A, "ready")], [
        seen(A, "pivoted"),
      ]],
      watched: [`${A}@${T1}`],
      told: ["vda ready", "vda pivoted"],
    },
    {
      name: "nothing on load, whatever the phase",
      pages: [[seen(A, "ready"), seen(B, "failed")], [seen(A, "ready"), seen(B, "failed")]],
      any: true,
      told: [],
    },
    {
      name: "an unwatched job is not told without 'any job'",
      pages: [[seen(A, "running"), seen(B, "running")], [seen(A, "ready"), seen(B, "ready")]],
      watched: [`${B}@${T1}`],
      told: ["vdb ready"],
    },
    {
      name: "'any job' tells every job, even one that appeared after load",
      pages: [[], [seen(A, "running")], [seen(A, "failed")], [seen(B, "completed")]],
      any: true,
      told: ["vda failed", "vdb completed"],
    },
    {
      name: "a stale element (strip a poll behind) does not repeat a phase",
      pages: [[seen(A, "running")], [seen(A, "ready"), seen(A, "running")], [
        seen(A, "running"),
        seen(A, "ready"),
      ]],
      watched: [`${A}@${T1}`],
      told: ["vda ready"],
    },
    {
      name: "running is never told; canceled and interrupted are",
      pages: [[], [seen(A, "running"), seen(B, "running")], [
        seen(A, "canceled"),
        seen(B, "interrupted"),
      ]],
      any: true,
      told: ["vda canceled", "vdb interrupted"],
    },
    {
      name: "watching a job is not watching the next one on its disk",
      pages: [[seen(A, "completed")], [seen(A, "running", T2)], [seen(A, "ready", T2)]],
      watched: [`${A}@${T1}`],
      told: [],
    },
    {
      name: "a new job on the same disk is a new job",
      pages: [[seen(A, "completed")], [seen(A, "running", T2)], [seen(A, "completed", T2)]],
      any: true,
      told: ["vda completed"],
    },
  ];
  for (const c of cases) {
    assertEquals(run(c.pages, c).told, c.told, c.name);
  }
});

Deno.test("transitions: a watched disk is let go once its job ended", () => {
  const { ended } = run([[seen(A, "running")], [seen(A, "ready")], [seen(A, "completed")]], {
    watched: [`${A}@${T1}`, `${B}@${T1}`],
  });
  assertEquals(ended, [`${A}@${T1}`]);
});

Deno.test("transitions: the input state is not changed", () => {
  const state = { [`${A}@${T1}`]: ["running"] };
  detectTransitions(state, [seen(A, "ready")], {
    watched: [`${A}@${T1}`],
    any: false,
    initial: false,
  });
  assertEquals(state, { [`${A}@${T1}`]: ["running"] });
});

Deno.test("transitions: the notification's words", () => {
  const n = notificationOf(seen(A, "ready"));
  assertEquals(n.title, "Copy on web <1> vda is ready");
  assertEquals(
    n.body,
    "Copy of disk vda of domain web <1> is ready: synchronized, waiting for you to finish it.",
  );
  assertEquals(n.tag, `blockboard:${A}@${T1}:ready`);
  assertEquals(
    notificationOf({ ...seen(B, "failed"), type: "unknown" }).title,
    "Block job on web <1> vdb failed",
  );
  assertEquals(Object.keys(NOTIFY_PHASES).includes("running"), false);
});
