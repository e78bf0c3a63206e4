/**
 * Finished moves as history entries, table-tested: only ended moves, their fields, the merge with
 * block jobs (newest end first, the limit, the domain and disk filters), and the Recent jobs rows.
 */
import { assert, assertEquals, assertStringIncludes } from "../std_assert.ts";
import { moveHistoryRecord } from "../../server/moves/history.ts";
import { listHistory, recentHistory } from "../../server/jobs/history_entries.ts";
import type { Move, MoveState } from "../../server/moves/model.ts";
import type { JobRecord } from "../../server/jobs/history.ts";
import { RecentJobs } from "../../views/job_history.tsx";
import { JobSlot } from "../../views/disk_extras.tsx";

const UUID = "704cf090-1533-475a-a0f6-1f81adb2fb5c";
const HOSTILE = `<img src=x onerror="alert(1)">`;

function move(id: string, state: MoveState, finishedAt: string | null, over: Partial<Move> = {}) {
  return {
    id,
    domain: "web1",
    uuid: UUID,
    state,
    destDir: "/srv/new",
    disks: [{ target: "vda", layers: [], job: null }],
    bytesTotal: 300,
    bytesDone: 200,
    rateBytesPerSecond: 0,
    etaSeconds: null,
    startedAt: "2026-11-29T10:00:00.000Z",
    finishedAt,
    message: `${state}: ${HOSTILE}`,
    pivot: "manual",
    bandwidthBytes: 5,
    mode: "live",
    ...over,
  } satisfies Move;
}

function job(id: number, finishedAt: string, target = "vda"): JobRecord {
  return {
    id,
    host: "local",
    type: "pull",
    uuid: UUID,
    domain: "web1",
    target,
    startedBy: "alice",
    startedAt: "2026-11-29T09:00:00.000Z",
    finishedAt,
    phase: "completed",
    outcome: "completed",
    message: "",
    cur: 1,
    end: 1,
    bandwidthBytes: 0,
    dest: null,
    leftChain: [],
    cleaned: [],
  };
}

Deno.test("moveHistoryRecord: ended moves only, with outcome, who, bytes and when", () => {
  for (const state of ["planned", "copying", "mirroring", "ready", "pivoting"] as const) {
    assertEquals(moveHistoryRecord(move("m", state, null)), null, state);
  }
  const table: [MoveState, string][] = [
    ["done", "moved to /srv/new"],
    ["failed", "failed"],
    ["canceled", "canceled"],
  ];
  for (const [state, outcome] of table) {
    const r = moveHistoryRecord(move("m", state, "2026-11-29T10:05:00.000Z", {
      startedBy: state === "done" ? "bob" : undefined,
      host: state === "failed" ? "far" : undefined,
    }))!;
    assertEquals(r.type, "move");
    assertEquals(r.phase, state);
    assertEquals(r.outcome, outcome);
    assertEquals(r.message, `${state}: ${HOSTILE}`);
    assertEquals(r.startedBy, state === "done" ? "bob" : "outside blockboard");
    assertEquals(r.host, state === "failed" ? "far" : "local");
    assertEquals([r.cur, r.end, r.bandwidthBytes, r.dest], [200, 300, 5, "/srv/new"]);
    assertEquals(r.targets, ["vda"]);
  }
});

Deno.test("listHistory and recentHistory: merged newest first, limited, filtered", () => {
  const moves = [
    move("m-old", "done", "2026-11-29T10:01:00.000Z"),
    move("m-new", "failed", "2026-11-29T10:09:00.000Z"),
    move("m-run", "copying", null),
    move("m-other", "done", "2026-11-29T10:08:00.000Z", { uuid: "x", domain: "db1" }),
    move("m-vdb", "done", "2026-11-29T10:07:00.000Z", {
      disks: [{ target: "vdb", layers: [], job: null }],
    }),
  ];
  const jobs = [job(2, "2026-11-29T10:05:00.000Z"), job(1, "2026-11-29T10:00:30.000Z")];
  const sources = {
    moves: { list: () => moves },
    history: {
      list: () => jobs,
      recent: (_u: string, target: string) => jobs.filter((j) => j.target === target),
    },
  };
  const ids = (entries: { id: string | number }[]) => entries.map((e) => e.id);
  assertEquals(
    ids(listHistory(sources, { domain: "web1", limit: 50 })),
    ["m-new", "m-vdb", 2, "m-old", 1],
  );
  assertEquals(ids(listHistory(sources, { domain: UUID, limit: 2 })), ["m-new", "m-vdb"]);
  assertEquals(ids(listHistory(sources, { limit: 50 })).length, 6);
  assertEquals(ids(recentHistory(sources, UUID, "vda", 5)), ["m-new", 2, "m-old", 1]);
  assertEquals(ids(recentHistory(sources, UUID, "vdb", 5)), ["m-vdb"]);
  assertEquals(ids(recentHistory({}, UUID, "vda", 5)), []);
});

Deno.test("Recent jobs rows: a move with its outcome, escaped; a move on top hides no job card", () => {
  const failed = moveHistoryRecord(move("m1", "failed", "2026-11-29T10:09:00.000Z"))!;
  const out = String(<RecentJobs records={[failed, job(7, "2026-11-29T10:00:00.000Z")]} />);
  assertStringIncludes(out, `data-phase="failed" data-move="m1"`);
  assertStringIncludes(out, `data-history-id="7"`);
  assertStringIncludes(out, "<td>move</td>");
  assertStringIncludes(out, "failed: &lt;img");
  assert(!out.includes("<img"), "escaped");
  // The stored outcome card belongs to a job: not drawn when a move ended last.
  const slot = (history: Parameters<typeof JobSlot>[0]["history"]) =>
    String(<JobSlot uuid={UUID} target="vda" job={null} history={history} canControl />);
  assert(!slot([failed, job(7, "2026-11-29T10:00:00.000Z")]).includes("job-stored"));
  assert(slot([job(7, "2026-11-29T10:00:00.000Z"), failed]).includes("job-stored"));
});
