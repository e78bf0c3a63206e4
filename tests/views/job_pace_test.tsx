/** Rate and ETA in words: the job card's and the jobs strip's, the same for the same job. */
import { assertEquals, assertStringIncludes } from "@std/assert";
import type { Job } from "../../server/jobs/model.ts";
import { jobPace } from "../../views/job_pace.ts";
import { JobsStrip } from "../../views/jobs_strip.tsx";
import { jobOn } from "../inventory/dashboard_fixtures.ts";

const MiB = 1048576;

Deno.test("jobPace: unknown is —, ready is in sync, ended says nothing", () => {
  const cases: [
    Pick<Job, "phase" | "rateBytesPerSecond" | "etaSeconds">,
    string | null,
    string | null,
  ][] = [
    [{ phase: "running", rateBytesPerSecond: null, etaSeconds: null }, "rate —", "ETA —"],
    [{ phase: "running", rateBytesPerSecond: 0, etaSeconds: null }, "rate 0 B/s", "ETA —"],
    [{ phase: "running", rateBytesPerSecond: 8 * MiB, etaSeconds: 4 }, "rate 8 MiB/s", "ETA 4s"],
    [{ phase: "ready", rateBytesPerSecond: 1, etaSeconds: null }, "in sync", null],
    [{ phase: "ready", rateBytesPerSecond: null, etaSeconds: 0 }, "in sync", null],
    [{ phase: "canceled", rateBytesPerSecond: null, etaSeconds: null }, null, null],
    [{ phase: "pivoted", rateBytesPerSecond: null, etaSeconds: null }, null, null],
  ];
  for (const [job, rate, eta] of cases) {
    assertEquals(jobPace(job), { rate, eta }, `${job.phase} ${job.rateBytesPerSecond}`);
  }
});

Deno.test("the jobs strip says a job's rate and ETA as its card does", () => {
  const html = String(
    <JobsStrip
      jobs={[
        jobOn("web", "vdb", "running", 25),
        { ...jobOn("db", "vda", "running", 50), rateBytesPerSecond: MiB, etaSeconds: 32 },
        { ...jobOn("mail", "vda", "ready", 100), rateBytesPerSecond: 1 },
      ]}
    />,
  );
  assertStringIncludes(
    html,
    `<span class="strip-rate">rate —</span><span class="strip-eta">ETA —</span>`,
  );
  assertStringIncludes(
    html,
    `<span class="strip-rate">rate 1 MiB/s</span><span class="strip-eta">ETA 32s</span>`,
  );
  assertStringIncludes(html, `<span class="strip-rate">in sync</span>`);
  assertEquals(html.includes("1 B/s"), false);
});
