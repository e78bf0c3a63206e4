/**
 * Finished migrations in the job history: the entry made from a stored migration (only once it
 * ended), the merge with block jobs (newest end first), the service's per-host reading (left the
 * host, or landed on it), and the Recent jobs rows (escaped, no stored-outcome card for them).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  migrationHistoryRecord,
  migrationHistoryRecordSchema,
} from "../../server/migrations/job_history.ts";
import { mergeHistory } from "../../server/jobs/history_entries.ts";
import type { Migration } from "../../server/migrations/model.ts";
import { MigrationHistory } from "../../server/migrations/history.ts";
import { MigrationService } from "../../server/migrations/service.ts";
import { openDatabase } from "../../server/db.ts";
import type { JobRecord } from "../../server/jobs/history.ts";
import { STARTED_OUTSIDE } from "../../server/jobs/model.ts";
import { JobSlot } from "../../views/disk_extras.tsx";

const UUID = "cda48577-a48b-41b2-96eb-67169a43ae13";
const migration = (over: Partial<Migration> = {}): Migration => ({
  id: "m1",
  domain: "<b>vm</b>",
  uuid: UUID,
  from: "a",
  to: "b",
  storage: "all",
  phase: "aborted",
  stage: "disks",
  dataTotal: 64 * 1048576,
  dataProcessed: 16 * 1048576,
  dataRemaining: 48 * 1048576,
  rateBytesPerSecond: null,
  etaSeconds: null,
  dirtyRatePagesPerSecond: null,
  bandwidthBytes: 1048576,
  startedAt: "2026-11-29T10:00:00.000Z",
  finishedAt: "2026-11-29T10:00:30.000Z",
  message: "aborted: blockboard restarted during the migration; <b>vm</b> stays on a, running",
  startedBy: "alice",
  command: "virsh -c qemu+tcp://10.77.11.2/system migrate --live",
  ...over,
});
const job: JobRecord = {
  id: 7,
  host: "a",
  type: "pull",
  uuid: UUID,
  domain: "<b>vm</b>",
  target: "vda",
  startedBy: "bob",
  startedAt: "2026-11-29T09:00:00.000Z",
  finishedAt: "2026-11-29T09:01:00.000Z",
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

Deno.test("a finished migration's history entry; none while it runs", () => {
  const entry = migrationHistoryRecord(migration(), "a");
  assertEquals(entry, {
    type: "migration",
    id: "m1",
    host: "a",
    uuid: UUID,
    domain: "<b>vm</b>",
    from: "a",
    to: "b",
    storage: "all",
    startedBy: "alice",
    startedAt: "2026-11-29T10:00:00.000Z",
    finishedAt: "2026-11-29T10:00:30.000Z",
    phase: "aborted",
    outcome: "aborted",
    message: migration().message,
    cur: 16 * 1048576,
    end: 64 * 1048576,
    bandwidthBytes: 1048576,
  });
  assert(migrationHistoryRecordSchema.safeParse(entry).success);
  assertEquals(
    migrationHistoryRecord(migration({ phase: "completed" }), "b")?.outcome,
    "migrated a → b",
  );
  assertEquals(
    migrationHistoryRecord(migration({ phase: "copying", finishedAt: null }), "a"),
    null,
  );
  assertEquals(
    migrationHistoryRecord(migration({ startedBy: null }), "a")?.startedBy,
    STARTED_OUTSIDE,
  );
});

Deno.test("merged with block jobs, newest end first, at most limit", () => {
  const m = migrationHistoryRecord(migration(), "a")!;
  assertEquals(mergeHistory([[job], [m]], 5).map((e) => e.type), ["migration", "pull"]);
  assertEquals(mergeHistory([[job], [m]], 1).map((e) => e.type), ["migration"]);
});

Deno.test("the service lists a host's finished migrations: left it, or landed on it", () => {
  const db = openDatabase(":memory:");
  const history = new MigrationHistory(db);
  history.save(migration());
  history.save(migration({ id: "m2", phase: "completed", finishedAt: "2026-11-29T11:00:00.000Z" }));
  history.save(
    migration({
      id: "m3",
      uuid: crypto.randomUUID(),
      domain: "other",
      finishedAt: "2026-11-29T10:30:00.000Z",
    }),
  );
  const service = new MigrationService({ hosts: { get: () => undefined }, history });
  const ids = (host: string, domain?: string) =>
    service.finished(host, { domain, limit: 10 }).map((e) => `${e.id}@${e.host}`);
  assertEquals(ids("a", UUID), ["m2@a", "m1@a"]);
  assertEquals(ids("a", "<b>vm</b>"), ["m2@a", "m1@a"]);
  assertEquals(ids("a"), ["m2@a", "m3@a", "m1@a"]);
  // The target lists only the one that landed there.
  assertEquals(ids("b", UUID), ["m2@b"]);
  assertEquals(service.finished("a", { limit: 1 }).length, 1);
  db.close();
});

Deno.test("Recent jobs: a migration row, escaped, and no stored-outcome card from it", () => {
  const m = migrationHistoryRecord(migration(), "a")!;
  const html = String(
    <JobSlot uuid={UUID} target="vda" job={null} history={[m, job]} canControl />,
  );
  assertStringIncludes(html, `data-migration="m1"`);
  assertStringIncludes(html, `<td>migration a → b</td>`);
  assertStringIncludes(
    html,
    `title="aborted: blockboard restarted during the migration; &lt;b&gt;vm`,
  );
  assertStringIncludes(html, `data-history-id="7"`);
  assert(!html.includes("job-stored"), "a migration is not shown as the disk's last job");
  assert(!html.includes("<b>vm</b>"));
  // The block job first: its stored outcome shows as before.
  const older = migrationHistoryRecord(migration({ finishedAt: "2026-11-29T08:00:00.000Z" }), "a")!;
  assertStringIncludes(
    String(<JobSlot uuid={UUID} target="vda" job={null} history={[job, older]} canControl />),
    "job-stored",
  );
});
