/** The migration panel as markup: form, progress card (polling, abort), a finished migration. */
import { assert, assertStringIncludes } from "@std/assert";
import { MigrationPanel, MigrationSlot } from "../../views/migration.tsx";
import type { Migration } from "../../server/migrations/model.ts";

const UUID = "cda48577-a48b-41b2-96eb-67169a43ae13";
const hostile = { name: `<b>vm</b> it's`, uuid: UUID, state: "running" };
const migration = (over: Partial<Migration> = {}): Migration => ({
  id: "m1",
  domain: hostile.name,
  uuid: UUID,
  from: "a",
  to: "b",
  storage: "all",
  phase: "copying",
  stage: "disks",
  dataTotal: 64 * 1048576,
  dataProcessed: 16 * 1048576,
  dataRemaining: 48 * 1048576,
  rateBytesPerSecond: 1048576,
  etaSeconds: 48,
  dirtyRatePagesPerSecond: null,
  bandwidthBytes: 1048576,
  startedAt: "2026-11-29T10:00:00.000Z",
  finishedAt: null,
  message: "",
  startedBy: "alice",
  command: "virsh -c qemu+tcp://10.77.11.2/system migrate --live",
  ...over,
});
const targets = [{ name: "b", reachable: true }, { name: "c", reachable: false }];

Deno.test("a running domain without a migration: the form, unreachable targets disabled", () => {
  const html = String(
    <MigrationPanel host="a" domain={hostile} migration={null} targets={targets} canControl />,
  );
  assertStringIncludes(
    html,
    `hx-post="/ui/hosts/a/domains/%3Cb%3Evm%3C%2Fb%3E%20it&#39;s/migrate"`,
  );
  assertStringIncludes(html, `<option value="b" >b</option>`);
  assertStringIncludes(html, `<option value="c" disabled>c (unreachable)</option>`);
  assertStringIncludes(html, `name="storage" value="all" checked>`);
  assertStringIncludes(html, "Migrate &lt;b&gt;vm&lt;/b&gt; it&#39;s");
  assert(!html.includes("<b>vm</b>"));
  assert(!html.includes("hx-trigger"), "nothing to poll");
});

Deno.test("a viewer sees no form; a stopped domain gets none either", () => {
  const viewer = String(
    <MigrationPanel
      host="a"
      domain={hostile}
      migration={null}
      targets={targets}
      canControl={false}
    />,
  );
  assert(!viewer.includes("migrate-form"));
  const off = String(
    <MigrationPanel
      host="a"
      domain={{ ...hostile, state: "shut off" }}
      migration={null}
      targets={targets}
      canControl
    />,
  );
  assert(!off.includes("migrate-form"));
});

Deno.test("a running migration: polled each second, figures, Abort", () => {
  const html = String(
    <MigrationPanel
      host="a"
      domain={hostile}
      migration={migration()}
      targets={targets}
      canControl
    />,
  );
  assertStringIncludes(html, `hx-trigger="load delay:1s"`);
  assertStringIncludes(
    html,
    `hx-get="/ui/hosts/a/domains/%3Cb%3Evm%3C%2Fb%3E%20it&#39;s/migration"`,
  );
  assertStringIncludes(html, `data-phase="copying"`);
  assertStringIncludes(html, "copying disks");
  assertStringIncludes(html, "remaining 48 MiB of 64 MiB");
  assertStringIncludes(html, "rate 1 MiB/s");
  assertStringIncludes(html, "ETA 48s");
  assertStringIncludes(html, "dirty rate —");
  assertStringIncludes(html, `value="25"`);
  assertStringIncludes(html, "Abort migration");
  assert(!html.includes("migrate-form"), "no second migration while one runs");
  const memory = String(
    <MigrationPanel
      host="a"
      domain={hostile}
      migration={migration({ stage: "memory", dirtyRatePagesPerSecond: 120 })}
      targets={targets}
      canControl
    />,
  );
  assertStringIncludes(memory, "dirty rate 120 pages/s");
});

Deno.test("a finished migration: no polling, the sentence; the domain gone from here", () => {
  const done = migration({
    phase: "completed",
    dataRemaining: 0,
    message: "completed: vm runs on b and is no longer defined on a",
    finishedAt: "2026-11-29T10:00:09.000Z",
  });
  const html = String(
    <MigrationPanel
      host="a"
      domain={{ ...hostile, state: "gone" }}
      migration={done}
      targets={targets}
      canControl
    />,
  );
  assert(!html.includes("hx-trigger"));
  assert(!html.includes("Abort migration"));
  assert(!html.includes("migrate-form"));
  assertStringIncludes(html, "no longer defined on a");
  const there = String(
    <MigrationPanel
      host="b"
      domain={hostile}
      migration={done}
      targets={[{ name: "a", reachable: true }]}
      canControl
    />,
  );
  assertStringIncludes(there, "(arrived here)");
  assertStringIncludes(there, "migrate-form");
});

Deno.test("the slot loads the panel at once", () => {
  const html = String(<MigrationSlot host="a" domain={hostile} />);
  assertStringIncludes(html, `hx-trigger="load"`);
  assertStringIncludes(html, `id="migration-${UUID}"`);
});
