/** The migration panel as markup: form, progress card (polling, abort), a finished migration. */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
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
/** Markup with Hono's spacing of boolean attributes evened out (`a  b >` → `a b>`). */
const tidy = (html: string) => html.replace(/ {2,}/g, " ").replace(/ >/g, ">");
const targets = [{ name: "b", reachable: true }, { name: "c", reachable: false }];

Deno.test("a running domain without a migration: the form, unreachable targets disabled", () => {
  const html = String(
    <MigrationPanel host="a" domain={hostile} migration={null} targets={targets} canControl />,
  );
  assertStringIncludes(
    html,
    `hx-post="/ui/hosts/a/domains/%3Cb%3Evm%3C%2Fb%3E%20it&#39;s/migrate"`,
  );
  assertStringIncludes(tidy(html), `<option value="b" selected>b</option>`);
  assertStringIncludes(tidy(html), `<option value="c" disabled>c (unreachable)</option>`);
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
  assertStringIncludes(html, "disk rate 1 MiB/s");
  assertStringIncludes(html, "ETA 48s");
  assertStringIncludes(html, "dirty rate —");
  assertStringIncludes(html, `value="25"`);
  assertStringIncludes(html, "Abort migration");
  assertStringIncludes(
    html,
    `hx-confirm="Abort the migration of &lt;b&gt;vm&lt;/b&gt; it&#39;s to b? It stops copying and the domain keeps running on a."`,
  );
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
  assertStringIncludes(
    html,
    `Migrated to <a href="/hosts/b/domains/%3Cb%3Evm%3C%2Fb%3E%20it&#39;s">&lt;b&gt;vm&lt;/b&gt; it&#39;s on b</a> at 2026-11-29 10:00:09 UTC.`,
  );
  const there = String(
    <MigrationPanel
      host="b"
      domain={hostile}
      migration={done}
      targets={[{ name: "a", reachable: true }]}
      canControl
    />,
  );
  assertStringIncludes(there, "Arrived from a at 2026-11-29 10:00:09 UTC.");
  assert(!there.includes("Migrated to"));
  assertStringIncludes(there, "migrate-form");
});

Deno.test("the slot loads the panel at once", () => {
  const html = String(<MigrationSlot host="a" domain={hostile} />);
  assertStringIncludes(html, `hx-trigger="load"`);
  assertStringIncludes(html, `id="migration-${UUID}"`);
});

Deno.test("the target select: never the page's own host; the first other host that answers is preselected; a down one says why", () => {
  const html = String(
    <MigrationPanel
      host="local"
      domain={hostile}
      migration={null}
      targets={[
        { name: "local", reachable: true },
        { name: "hv2", reachable: false, reason: "Connection refused" },
        { name: "hv3", reachable: true },
        { name: "hv4", reachable: true },
      ]}
      canControl
    />,
  );
  assert(!html.includes(`value="local"`), "the source host is never a target");
  assertStringIncludes(
    tidy(html),
    `<option value="hv2" disabled>hv2 (unreachable: Connection refused)</option>`,
  );
  assertStringIncludes(tidy(html), `<option value="hv3" selected>hv3</option>`);
  assertStringIncludes(tidy(html), `<option value="hv4">hv4</option>`);
  assertEquals(html.match(/selected/g)?.length, 1);
});

Deno.test("before QEMU reports totals the card says starting…, not 0 B of 0 B", () => {
  const html = String(
    <MigrationPanel
      host="a"
      domain={hostile}
      migration={migration({
        phase: "preparing",
        stage: "starting",
        dataTotal: 0,
        dataProcessed: 0,
        dataRemaining: 0,
        rateBytesPerSecond: null,
        etaSeconds: null,
      })}
      targets={targets}
      canControl
    />,
  );
  assertStringIncludes(html, "starting…");
  assertStringIncludes(html, "disk rate measuring…");
  assert(!html.includes("0 B of 0 B"));
  const memory = String(
    <MigrationPanel
      host="a"
      domain={hostile}
      migration={migration({ stage: "memory" })}
      targets={targets}
      canControl
    />,
  );
  assertStringIncludes(memory, "memory rate 1 MiB/s");
});
