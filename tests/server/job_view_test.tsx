/** The job card's figures: live while the job runs, honest once it has ended. */
import { assert, assertEquals, assertNotMatch, assertStringIncludes } from "@std/assert";
import type { Job, JobPhase } from "../../server/jobs/model.ts";
import { JobCard, jobFigures, JobStatus } from "../../views/job.tsx";

const MiB = 1024 * 1024;

function job(phase: JobPhase, over: Partial<Job> = {}): Job {
  return {
    type: "copy",
    phase,
    cur: 24.3 * MiB,
    end: 64 * MiB,
    percent: 37.9,
    bandwidthBytes: 0,
    rateBytesPerSecond: phase === "running" ? 2 * MiB : null,
    etaSeconds: phase === "running" ? 20 : null,
    startedAt: "2026-01-01T00:00:00.000Z",
    domain: "vm1",
    uuid: "704cf090-1533-475a-a0f6-1f81adb2fb5c",
    target: "vda",
    elapsedSeconds: 12,
    finishedAt: phase === "running" || phase === "ready" ? null : "2026-01-01T00:00:12.000Z",
    readyAt: null,
    converging: null,
    adopted: false,
    outcome: null,
    updatedAt: "2026-01-01T00:00:12.000Z",
    ...over,
  };
}

Deno.test("jobFigures: every phase at its boundary", () => {
  const table: [Job, { bar: number | null; percent: string; amount: string }][] = [
    [job("running"), { bar: 37.9, percent: "37.9 %", amount: "24.3 MiB of 64 MiB" }],
    [job("running", { cur: 0, percent: 0 }), { bar: 0, percent: "0.0 %", amount: "0 B of 64 MiB" }],
    [
      job("ready", { cur: 64 * MiB, percent: 100 }),
      { bar: 100, percent: "100 %", amount: "64 MiB of 64 MiB" },
    ],
    // Finished whole: the last sample (37.9 %) predates the end; the job moved everything.
    [job("completed"), { bar: 100, percent: "100 %", amount: "64 MiB of 64 MiB" }],
    [job("pivoted"), { bar: 100, percent: "100 %", amount: "64 MiB of 64 MiB" }],
    [job("kept-copy"), { bar: 100, percent: "100 %", amount: "64 MiB of 64 MiB" }],
    [
      job("completed", { cur: 0, end: 0, percent: 0 }),
      { bar: 100, percent: "100 %", amount: "all of it" },
    ],
    [
      job("completed", { type: "active-commit", cur: 0, end: 1, percent: 0 }),
      { bar: 100, percent: "100 %", amount: "all of it" },
    ],
    // Stopped part-way: no bar, the last sample in words.
    ...(["canceled", "failed", "interrupted", "unknown"] as const).map((p) =>
      [
        job(p),
        {
          bar: null,
          percent: "37.9 %",
          amount: "stopped at 37.9 %: 24.3 MiB of 64 MiB when last sampled",
        },
      ] as [Job, { bar: number | null; percent: string; amount: string }]
    ),
    [
      job("canceled", { percent: 99.95 }),
      {
        bar: null,
        percent: "99.9 %",
        amount: "stopped at 99.9 %: 24.3 MiB of 64 MiB when last sampled",
      },
    ],
  ];
  for (const [j, want] of table) assertEquals(jobFigures(j), want, `${j.type} ${j.phase}`);
});

Deno.test("a completed job's card reads 100 %, never the stale last sample", () => {
  const html = String(<JobStatus job={job("completed", { outcome: "completed: done" })} />);
  assertStringIncludes(html, 'value="100"');
  assertStringIncludes(html, "100 %");
  assertStringIncludes(html, 'data-percent="100"');
  assertNotMatch(html, /37\.9/);
  assertNotMatch(html, /hx-get/);
  assertStringIncludes(html, "ran for 12s");
});

Deno.test("an aborted, failed or interrupted job has no bar; its final numbers are words", () => {
  for (const phase of ["canceled", "failed", "interrupted"] as const) {
    const html = String(<JobStatus job={job(phase)} />);
    assertNotMatch(html, /<progress/, phase);
    assertStringIncludes(html, "stopped at 37.9 %: 24.3 MiB of 64 MiB when last sampled", phase);
  }
});

Deno.test("a running job shows rate, ETA and limit with their units", () => {
  const html = String(<JobStatus job={job("running", { bandwidthBytes: 100 * MiB })} />);
  assertStringIncludes(html, "rate 2 MiB/s");
  assertStringIncludes(html, "ETA 20s");
  assertStringIncludes(html, "limit 100 MiB/s");
  assert(html.includes("<progress"));
});

Deno.test("the job card shows the command that started the job on every redraw, escaped", async () => {
  const command = "virsh -c qemu:///system blockpull --domain 704cf090 --path vda <x>";
  const withCommand = String(await JobCard({ job: job("running", { command }) }));
  assertStringIncludes(withCommand, 'class="job-ran"');
  assertStringIncludes(withCommand, "blockpull --domain 704cf090 --path vda &lt;x&gt;");
  // An adopted job has no command of blockboard's: no "Ran" block.
  assertNotMatch(String(await JobCard({ job: job("running", { adopted: true }) })), /job-ran/);
});
