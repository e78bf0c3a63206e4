/**
 * The move views, table-tested: bar values at their boundaries, the card in every state (polling
 * or not, which controls, the queue place), the Review (every file, commands, chain, the form
 * carried to Start), the section per role, and escaping of names and paths a VM or a user chose.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { barPercent, MoveCard, moveFigures } from "../../views/move_card.tsx";
import {
  movableDisks,
  type MoveFormValues,
  MoveReview,
  MoveSection,
  suggestedSubfolder,
} from "../../views/move_form.tsx";
import type { Move, MovePlan, MoveState } from "../../server/moves/model.ts";
import type { Domain } from "../../server/inventory/model.ts";
import type { QueuePlace } from "../../server/moves/queue.ts";
import { MoveQueuePanel, queueOrder } from "../../views/move_queue.tsx";

const ID = "0f6f7a52-52f6-4b43-9a50-5b0a1e2f9c11";
const UUID = "704cf090-1533-475a-a0f6-1f81adb2fb5c";
const HOSTILE = `<img src=x onerror="alert(1)">&"'`;

function move(state: MoveState, over: Partial<Move> = {}): Move {
  return {
    id: ID,
    domain: "web1",
    uuid: UUID,
    state,
    destDir: "/srv/fast/web1",
    disks: [{
      target: "vda",
      layers: [
        {
          from: "/i/top.qcow2",
          to: "/srv/fast/web1/top.qcow2",
          format: "qcow2",
          bytes: 2048,
          doneBytes: 0,
          state: "pending",
        },
        {
          from: "/i/base.qcow2",
          to: "/srv/fast/web1/base.qcow2",
          format: "qcow2",
          bytes: 2048,
          doneBytes: 1024,
          state: "copying",
        },
      ],
      job: null,
    }],
    bytesTotal: 4096,
    bytesDone: 1024,
    rateBytesPerSecond: 1024,
    etaSeconds: 3,
    startedAt: "2026-11-29T10:00:00.000Z",
    finishedAt: null,
    message: null,
    pivot: "manual",
    bandwidthBytes: 0,
    mode: "live",
    ...over,
  };
}

const RUNNING: QueuePlace = { kind: "running" };
const html = (node: unknown) => String(node);

Deno.test("barPercent at its boundaries", () => {
  for (
    const [done, total, whole, want] of [
      [0, 100, false, 0],
      [50, 100, false, 50],
      [100, 100, false, 100],
      [150, 100, false, 100], // a counter past its total is clamped
      [-5, 100, false, 0],
      [0, 0, false, 0], // empty layer, not copied yet
      [0, 0, true, 100], // empty layer, copied
      [10, 100, true, 100], // copied: full whatever the last count said
      [5, Number.NaN, false, 0],
    ] as const
  ) {
    assertEquals(barPercent(done, total, whole), want, `${done}/${total}/${whole}`);
  }
});

Deno.test("moveFigures: rate and ETA only while copying (— while unknown); done reads 100", () => {
  for (
    const [state, percent, rate, eta] of [
      ["planned", 25, null, null],
      ["copying", 25, "1 KiB/s", "3s"],
      ["mirroring", 25, "1 KiB/s", "3s"],
      ["ready", 25, null, null], // in sync: no copy rate (the ready line says so)
      ["done", 100, null, null],
      ["failed", 25, null, null],
      ["canceled", 25, null, null],
    ] as const
  ) {
    const f = moveFigures(move(state));
    assertEquals([f.percent, f.rate, f.eta], [percent, rate, eta], state);
    assertEquals(f.amount, "1 KiB of 4 KiB to copy");
  }
  const unknown = moveFigures(move("copying", { rateBytesPerSecond: null, etaSeconds: null }));
  assertEquals([unknown.rate, unknown.eta], ["—", "—"], "unknown is —, never 0 B/s");
});

Deno.test("the card in every state: polling, Switch, Cancel, Clean up", () => {
  for (
    const [state, polls, switchOn, cancel, cleanup] of [
      ["planned", true, false, true, false],
      ["copying", true, false, true, false],
      ["mirroring", true, false, true, false],
      ["ready", true, true, true, false],
      ["pivoting", true, false, false, false], // too late to cancel
      ["done", false, null, false, true],
      ["failed", false, null, false, false],
      ["canceled", false, null, false, false],
    ] as const
  ) {
    const out = html(<MoveCard move={move(state)} place={RUNNING} canControl />);
    assertEquals(
      out.includes(`hx-get="/ui/moves/${ID}/card?seen=${state}"`),
      polls,
      `${state} polls`,
    );
    const switchTag = /<button[^>]*data-action="move-switch"[^>]*>/.exec(out)?.[0] ?? null;
    if (switchOn === null) assertEquals(switchTag, null, `${state}: no Switch`);
    else assertEquals(!switchTag!.includes("disabled"), switchOn, `${state}: Switch enabled`);
    assertEquals(out.includes('data-action="move-cancel"'), cancel, `${state}: Cancel`);
    assertEquals(out.includes('data-action="move-cleanup"'), cleanup, `${state}: Clean up`);
    assertStringIncludes(out, `data-state="${state}"`);
  }
  // Automatic switch: no Switch button, the card says it switches by itself.
  const auto = html(
    <MoveCard move={move("ready", { pivot: "auto" })} place={RUNNING} canControl />,
  );
  assert(!auto.includes("move-switch"));
  assertStringIncludes(auto, "switches by itself");
  // Viewers see the bars, no control.
  const viewer = html(<MoveCard move={move("ready")} place={RUNNING} canControl={false} />);
  assert(!viewer.includes("<button"), "no buttons for viewers");
  assertStringIncludes(viewer, 'aria-label="Storage move progress of domain web1"');
  const who = html(
    <MoveCard move={move("copying", { startedBy: HOSTILE })} place={RUNNING} canControl />,
  );
  assertStringIncludes(who, "started by &lt;img");
});

Deno.test("bars: one per layer (named) and one overall; a copied layer reads full", () => {
  const out = html(
    <MoveCard
      move={move("mirroring", {
        disks: [{
          target: "vda",
          layers: [
            { ...move("planned").disks[0].layers[0], state: "mirroring", doneBytes: 512 },
            { ...move("planned").disks[0].layers[1], state: "copied", doneBytes: 7 },
          ],
          job: null,
        }],
      })}
      place={RUNNING}
      canControl
    />,
  );
  const bars = [...out.matchAll(/<progress[^>]*>/g)].map((m) => m[0]);
  assertEquals(bars.length, 3);
  assertStringIncludes(bars[0], 'value="25"');
  assertStringIncludes(bars[0], 'aria-label="Layer 1 (top.qcow2) of disk vda"');
  assertStringIncludes(bars[1], 'value="100"');
  assertStringIncludes(out, "copied and verified: 2 KiB of 2 KiB");
});

Deno.test("a waiting move shows its place with Up and Down, disabled at the ends", () => {
  for (
    const [position, of, upOn, downOn] of [
      [1, 1, false, false],
      [1, 3, false, true],
      [2, 3, true, true],
      [3, 3, true, false],
    ] as const
  ) {
    const out = html(
      <MoveCard move={move("planned")} place={{ kind: "waiting", position, of }} canControl />,
    );
    assertStringIncludes(out, `Waiting in the queue: position ${position} of ${of}.`);
    const up = /<button[^>]*data-action="move-up"[^>]*>/.exec(out)![0];
    const down = /<button[^>]*data-action="move-down"[^>]*>/.exec(out)![0];
    assertEquals(!up.includes("disabled"), upOn, `up at ${position}/${of}`);
    assertEquals(!down.includes("disabled"), downOn, `down at ${position}/${of}`);
    assert(!out.includes("move-switch"), "no Switch while waiting");
    assertStringIncludes(out, "Take this move out of the queue?");
  }
});

Deno.test("names, paths and messages are escaped", () => {
  const out = html(
    <MoveCard
      move={move("failed", {
        domain: HOSTILE,
        destDir: `/srv/${HOSTILE}`,
        message: HOSTILE,
      })}
      place={RUNNING}
      canControl
      notice={HOSTILE}
    />,
  );
  assert(!out.includes("<img"), out);
  assertStringIncludes(out, "&lt;img src=x onerror=");
});

const PLAN: MovePlan = {
  domain: "web1",
  uuid: UUID,
  persistent: true,
  mode: "live",
  destDir: "/srv/fast/web1",
  pivot: "manual",
  bandwidthBytes: 2097152,
  disks: [{
    target: "vda",
    dir: "/srv/fast/web1",
    layers: [
      {
        from: "/i/top.qcow2",
        to: "/srv/fast/web1/top.qcow2",
        format: "qcow2",
        bytes: 1048576,
        virtualSize: 67108864,
        backingName: "base.raw",
        backingFormat: "raw",
        action: "create-and-mirror",
      },
      {
        from: "/i/base.raw",
        to: "/srv/fast/web1/base.raw",
        format: "raw",
        bytes: 67108864,
        virtualSize: 67108864,
        backingName: null,
        backingFormat: null,
        action: "copy",
      },
    ],
    commands: [
      { program: "qemu-img", argv: [], commandLine: "qemu-img convert -f raw -O raw -- a b" },
      { program: "virsh", argv: [], commandLine: `virsh blockcopy --domain ${HOSTILE}` },
    ],
    chainAfter: [
      { path: "/srv/fast/web1/top.qcow2", format: "qcow2" },
      { path: "/srv/fast/web1/base.raw", format: "raw" },
    ],
  }],
  bytesTotal: 68157440,
  notes: ["--transient-job: the domain is persistent"],
};

/** The form as typed, for Reviews. */
const VALUES: MoveFormValues = {
  root: "/srv/fast",
  subfolder: "web1",
  disks: ["vda", "vdb"],
  bandwidthMiB: "2",
  pivot: "manual",
  synchronousWrites: false,
  granularity: "",
  bufSizeKiB: "",
};

Deno.test("Review: every file, bytes, the commands in order, the chain, the form for Start", () => {
  const out = html(
    <MoveReview
      plan={PLAN}
      values={VALUES}
    />,
  );
  assert(!out.includes('name="synchronousWrites"'), "not ticked: not carried");
  assert(!out.includes("Mirror options"), "no tuning: no line");
  assertStringIncludes(out, 'data-from="/i/top.qcow2" data-to="/srv/fast/web1/top.qcow2"');
  assertStringIncludes(out, 'data-from="/i/base.raw" data-to="/srv/fast/web1/base.raw"');
  assertStringIncludes(out, '<td class="move-bytes">64 MiB</td>');
  assertStringIncludes(out, "65 MiB to copy (allocated data), bandwidth 2 MiB/s");
  assert(out.indexOf("qemu-img convert") < out.indexOf("virsh blockcopy"), "in order");
  assert(!out.includes("<img"), "commands are escaped");
  assertStringIncludes(out, "new overlay, mirrored live");
  assertStringIncludes(out, "--transient-job: the domain is persistent");
  assertStringIncludes(out, `hx-post="/ui/domains/${UUID}/move"`);
  for (
    const hidden of [
      'name="root" value="/srv/fast"',
      'name="subfolder" value="web1"',
      'name="disks" value="vda"',
      'name="disks" value="vdb"',
      'name="bandwidthMiB" value="2"',
      'name="pivot" value="manual"',
    ]
  ) {
    assertStringIncludes(out, hidden);
  }
});

Deno.test("Review: a live raw top counts its virtual size, labelled, with its allocated data", () => {
  const [disk] = PLAN.disks;
  const rawTop = {
    ...disk.layers[0],
    from: "/i/disk.raw",
    to: "/srv/fast/web1/disk.raw",
    format: "raw" as const,
    bytes: 67108864,
    allocatedBytes: 16777216,
  };
  const plan = { ...PLAN, disks: [{ ...disk, layers: [rawTop] }], bytesTotal: 67108864 };
  const out = html(<MoveReview plan={plan} values={VALUES} />);
  assertStringIncludes(
    out,
    "64 MiB to copy (allocated data; a raw active layer at its whole virtual size, which its mirror scans)",
  );
  assertStringIncludes(
    out,
    '64 MiB<span class="muted"> virtual size: the mirror scans a raw layer whole (16 MiB allocated)</span>',
  );
});

Deno.test("Review carries the mirror tuning to Start and names it", () => {
  const out = html(
    <MoveReview
      plan={{ ...PLAN, tuning: { synchronousWrites: true, granularity: 65536, bufSize: 1048576 } }}
      values={{
        root: "/srv/fast",
        subfolder: "web1",
        disks: ["vda"],
        bandwidthMiB: "",
        pivot: "auto",
        synchronousWrites: true,
        granularity: "65536",
        bufSizeKiB: "1024",
      }}
    />,
  );
  assertStringIncludes(
    out,
    "Mirror options: synchronous writes, granularity 64 KiB, buffer 1 MiB.",
  );
  for (
    const hidden of [
      'name="synchronousWrites" value="true"',
      'name="granularity" value="65536"',
      'name="bufSizeKiB" value="1024"',
    ]
  ) {
    assertStringIncludes(out, hidden);
  }
});

Deno.test("the card says why a disk's mirror is not converging, only while it mirrors", () => {
  const sentence = "not converging: the remaining bytes grew by 12 MiB in 30 s";
  const job = { phase: "mirroring" as const, cur: 1, end: 9, bandwidthBytes: 0 };
  const withJob = (j: Move["disks"][0]["job"]) =>
    move("mirroring", { disks: [{ ...move("mirroring").disks[0], job: j }] });
  const warned = html(
    <MoveCard
      move={withJob({ ...job, notConverging: sentence })}
      place={RUNNING}
      canControl
    />,
  );
  assertStringIncludes(warned, `class="warning job-warning job-not-converging" role="alert"`);
  assertStringIncludes(warned, sentence);
  for (
    const quiet of [
      withJob({ ...job, notConverging: null }),
      withJob(job),
      withJob({ ...job, phase: "ready", notConverging: sentence }),
    ]
  ) {
    assert(!html(<MoveCard move={quiet} place={RUNNING} canControl />).includes("not converging"));
  }
});

const DOMAIN: Domain = {
  name: "web1",
  uuid: UUID,
  state: "running",
  persistent: true,
  disks: [
    {
      target: "vda",
      device: "disk",
      type: "file",
      format: "qcow2",
      source: "/i/top.qcow2",
      chain: [],
      mirror: null,
      warnings: [],
      job: null,
    },
    {
      target: "hdc",
      device: "cdrom",
      type: "file",
      format: "raw",
      source: "/i/cd.iso",
      chain: [],
      mirror: null,
      warnings: [],
      job: null,
    },
    {
      target: "vdb",
      device: "disk",
      type: "file",
      format: null,
      source: null,
      chain: [],
      mirror: null,
      warnings: [],
      job: null,
    },
  ],
};

Deno.test("movableDisks and suggestedSubfolder", () => {
  assertEquals(movableDisks(DOMAIN).map((d) => d.target), ["vda"]);
  for (
    const [name, want] of [
      ["web1", "web1"],
      ["db.prod-2", "db.prod-2"],
      [HOSTILE, "moved"],
      [".hidden", "moved"],
      ["a b", "moved"],
    ]
  ) {
    assertEquals(suggestedSubfolder({ ...DOMAIN, name }), want, name);
  }
});

Deno.test("section: the form only for operators and only while no move runs; the last move stays", () => {
  const section = (moves: Move[], canControl: boolean, roots = ["/srv/fast"]) =>
    html(
      <MoveSection
        domain={DOMAIN}
        moves={moves}
        placeOf={() => RUNNING}
        canControl={canControl}
        storageRoots={roots}
      />,
    );
  const empty = section([], true);
  assertStringIncludes(empty, 'class="move-form"');
  assertStringIncludes(empty, '<option value="/srv/fast">');
  assert(!section([], true, []).includes(`class="move-form"`));
  assertStringIncludes(section([], true, []), "No storage roots are configured");
  const running = section([move("copying")], true);
  assert(!running.includes(`class="move-form"`), "no second move while one runs");
  assertStringIncludes(running, `id="move-${ID}"`);
  const finished = section([move("done"), { ...move("failed"), id: "other" }], true);
  assertStringIncludes(finished, `id="move-${ID}"`);
  assert(!finished.includes('id="move-other"'), "only the newest finished move");
  assertStringIncludes(finished, 'class="move-form"');
  const viewer = section([], false);
  assert(!viewer.includes(`class="move-form"`));
  assertStringIncludes(viewer, "No storage move yet.");
});

Deno.test("queue panel: running first, waiting in order with Up/Down/Cancel, the limits", () => {
  const moves = ["w2", "r1", "w1", "stray"].map((id) => ({
    ...move(id.startsWith("r") ? "copying" : "planned"),
    id,
    domain: `dom-${id}`,
  }));
  const queue = {
    maxRunning: 1,
    bandwidthBudget: 104857600,
    running: ["r1"],
    waiting: ["w1", "w2"],
  };
  assertEquals(queueOrder(moves, queue).map((m) => m.id), ["r1", "w1", "w2", "stray"]);
  const out = html(<MoveQueuePanel moves={moves} queue={queue} canControl />);
  assertStringIncludes(out, 'hx-get="/ui/moves/queue"');
  assertStringIncludes(out, "waiting: 1 of 2");
  assertStringIncludes(out, "At most 1 move at once, sharing 100 MiB/s.");
  const item = (id: string) =>
    out.slice(
      out.indexOf(`data-move="${id}"`),
      out.indexOf("</li>", out.indexOf(`data-move="${id}"`)),
    );
  assert(/data-action="queue-up"[^>]*disabled/.test(item("w1")), "first cannot go up");
  assert(!/data-action="queue-down"[^>]*disabled/.test(item("w1")));
  assert(/data-action="queue-down"[^>]*disabled/.test(item("w2")), "last cannot go down");
  assert(!item("r1").includes("<button"), "a running move is not reordered here");
  assertStringIncludes(item("r1"), "copying");
  const viewer = html(<MoveQueuePanel moves={moves} queue={queue} canControl={false} />);
  assert(!viewer.includes("<button"));
  const empty = html(
    <MoveQueuePanel
      moves={[]}
      queue={{ maxRunning: 2, bandwidthBudget: null, running: [], waiting: [] }}
      canControl
    />,
  );
  assertStringIncludes(empty, "No storage move is running or waiting.");
  assertStringIncludes(empty, "At most 2 moves at once, no shared bandwidth budget.");
});
