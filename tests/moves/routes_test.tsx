/**
 * The move routes through the real app (security on, `app.request()`, no socket) over the fake
 * libvirt of `app_world` and a scripted move service that goes through the real queue: the
 * domain page's section, Review, Start, the card's controls (Switch at ready, Cancel, Up/Down),
 * the queue API, the clean-up's refusals, and the role and input checks. The sentences are the
 * service's own, in the page and in the API alike.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { messageOf, VM1, world } from "../support/app_world.ts";
import { FakeMoves } from "../support/fake_moves.ts";
import { MoveQueue } from "../../server/moves/queue.ts";
import type { MoveEngine } from "../../server/moves/engine.ts";
import type { Domain } from "../../server/inventory/model.ts";
import { answerChecker } from "../openapi/answers.ts";
import { apiDocument } from "../../server/openapi/registry.ts";
import { JobInputError } from "../../server/jobs/errors.ts";
import { inFormWords } from "../../server/routes/moves_ui.tsx";

const FORM = "application/x-www-form-urlencoded";

async function movesWorld(queueOptions = { maxRunning: 1 }) {
  const queue = new MoveQueue(queueOptions);
  let fake: FakeMoves | null = null;
  const w = await world({
    extend: (services) => {
      fake = new FakeMoves({
        queue,
        domain: async (key) => {
          // vm2, vm3: copies of VM1 under other names, to fill the queue.
          const m = /^vm(\d)$/.exec(key);
          const vm1 = await services.inventory.getDomain(VM1.uuid);
          if (m && vm1) {
            return {
              ...vm1,
              name: key,
              uuid: `${VM1.uuid.slice(0, -1)}${m[1]}`,
            } satisfies Domain;
          }
          return await services.inventory.getDomain(key);
        },
      });
      // The app's move routes use only the MoveService contract the fake implements.
      return { moves: fake as unknown as MoveEngine, moveQueue: queue };
    },
  });
  return { ...w, moves: fake! as FakeMoves, queue };
}

/** The text of escaped HTML, to compare sentences with quotes in them. */
const unescape = (html: string) =>
  html.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">").replaceAll("&amp;", "&");

const formBody = (fields: [string, string][]) => new URLSearchParams(fields).toString();

Deno.test("domain page: operators get the Move storage form, viewers only the section", async () => {
  const w = await movesWorld();
  try {
    const op = await w.login("operator");
    const page = await (await w.request(`/domains/${VM1.name}`, { as: op })).text();
    assertStringIncludes(page, "Move storage");
    assertStringIncludes(page, `hx-post="/ui/domains/${VM1.uuid}/move/review"`);
    assertStringIncludes(page, `<option value="${w.root}">`);
    // vda (qcow2 chain) and vdb (raw) are movable; the cdrom is not offered.
    assertStringIncludes(page, 'name="disks" value="vda"');
    assertStringIncludes(page, 'name="disks" value="vdb"');
    assert(!page.includes('value="hdc"'), "a cdrom is not movable");
    const viewer = await w.login("viewer");
    const seen = await (await w.request(`/domains/${VM1.name}`, { as: viewer })).text();
    assertStringIncludes(seen, "Move storage");
    assert(!seen.includes("move/review"), "viewers get no form");
  } finally {
    await w.cleanup();
  }
});

Deno.test("Review shows every file, its new path, the commands and the chain; bad input says why", async () => {
  const w = await movesWorld();
  try {
    const op = await w.login("operator");
    const review = (fields: [string, string][]) =>
      w.request(`/ui/domains/${VM1.uuid}/move/review`, {
        as: op,
        body: formBody(fields),
        type: FORM,
      });
    const ok = await review([
      ["root", w.root],
      ["subfolder", "fast"],
      ["disks", "vda"],
      ["bandwidthMiB", "2"],
      ["pivot", "auto"],
    ]);
    assertEquals(ok.status, 200);
    const html = await ok.text();
    for (const name of ["snap2.qcow2", "snap1.qcow2", "base.qcow2"]) {
      assertStringIncludes(html, `data-to="${w.root}/fast/${name}"`);
      assertStringIncludes(
        html,
        `qemu-img convert -f qcow2 -O qcow2 /var/lib/libvirt/images/bbfix/${name}`,
      );
    }
    assertStringIncludes(html, "switching by itself when ready");
    assertStringIncludes(html, "bandwidth 2 MiB/s");
    // Start sends exactly the reviewed form again.
    assertStringIncludes(html, `type="hidden" name="subfolder" value="fast"`);
    assertStringIncludes(html, `type="hidden" name="pivot" value="auto"`);
    assertEquals(w.moves.started.length, 0, "Review starts nothing");

    // The mirror tuning of the copy form: read into the request, named, carried to Start (the
    // exact blockcopy argv is the planner's, table-tested in plan_test.ts).
    const tuned = await review([
      ["root", w.root],
      ["disks", "vda"],
      ["synchronousWrites", "true"],
      ["granularity", "65536"],
      ["bufSizeKiB", "1024"],
    ]);
    assertEquals(tuned.status, 200);
    const tunedHtml = await tuned.text();
    assertStringIncludes(
      tunedHtml,
      "Mirror options: synchronous writes, granularity 64 KiB, buffer 1 MiB.",
    );
    assertStringIncludes(tunedHtml, `type="hidden" name="synchronousWrites" value="true"`);
    assertStringIncludes(tunedHtml, `type="hidden" name="bufSizeKiB" value="1024"`);

    for (
      const [fields, sentence] of [
        [
          [["root", "/etc"], ["disks", "vda"]],
          `Storage root: "/etc" is not a storage root (${w.root})`,
        ],
        [
          [["root", w.root], ["subfolder", "../up"], ["disks", "vda"]],
          "Subfolder: must be a normalised path",
        ],
        [
          [["root", w.root], ["subfolder", "/abs"], ["disks", "vda"]],
          "Subfolder: must be relative",
        ],
        [[["root", w.root]], "tick at least one disk"],
        [
          [["root", w.root], ["disks", "vda"], ["bandwidthMiB", "fast"]],
          "bandwidth must be a number of MiB/s",
        ],
        [
          [["root", w.root], ["disks", "vda"], ["pivot", "later"]],
          'Switch to the new chain: must be "manual" or "auto"',
        ],
        [[["root", w.root], ["disks", "vda"], ["color", "red"]], 'unknown field "color"'],
        [
          [["root", w.root], ["disks", "vda"], ["granularity", "1000"]],
          "Granularity: must be a power of two",
        ],
        [
          [["root", w.root], ["disks", "vda"], ["bufSizeKiB", "-1"]],
          "buffer size must be a whole number of KiB",
        ],
      ] as [[string, string][], string][]
    ) {
      const res = await review(fields);
      assertEquals(res.status, 400, sentence);
      const text = unescape(await res.text());
      assertStringIncludes(text, sentence);
      assertStringIncludes(text, 'role="alert"');
    }
  } finally {
    await w.cleanup();
  }
});

Deno.test("inFormWords: a leading field name of the form or the API becomes the form's label", () => {
  const table: [string, string][] = [
    [
      "destDir: /r/x/base.qcow2 is already there",
      "Storage root and Subfolder: /r/x/base.qcow2 is already there",
    ],
    ['root: "/etc" is not a storage root', 'Storage root: "/etc" is not a storage root'],
    ["subfolder: must be relative", "Subfolder: must be relative"],
    ["disks.0: must be a disk target", "Disks: must be a disk target"],
    ["bandwidthBytes: must be 0 or more", "Bandwidth limit: must be 0 or more"],
    ["bufSize: too big", "Buffer: too big"],
    // Not a field of the form: kept as the service said it.
    ["host: storage moves need the host's files", "host: storage moves need the host's files"],
    ["A move of domain vm1 is already running", "A move of domain vm1 is already running"],
    ["destDir:no space", "destDir:no space"],
  ];
  for (const [api, page] of table) assertEquals(inFormWords(api), page, api);
});

Deno.test("a planner refusal names the form's fields in the page, the API's in the API", async () => {
  const w = await movesWorld();
  try {
    const op = await w.login("operator");
    const sentence =
      "/var/lib/libvirt/images/bbfix/base.qcow2 is already there: choose a directory that does not hold the chain";
    w.moves.refusePlan = new JobInputError("destDir", sentence);
    const fields = formBody([["root", w.root], ["subfolder", "bbfix"], ["disks", "vda"]]);
    for (const path of [`/ui/domains/${VM1.uuid}/move/review`, `/ui/domains/${VM1.uuid}/move`]) {
      const res = await w.request(path, { as: op, body: fields, type: FORM });
      assertEquals(res.status, 400, path);
      const text = unescape(await res.text());
      assertStringIncludes(text, `Storage root and Subfolder: ${sentence}`, path);
      assert(!text.includes("destDir"), `${path}: no API field name in the page`);
    }
    const api = await w.request(`/api/v1/domains/${VM1.name}/move`, {
      as: op,
      json: { destDir: `${w.root}/bbfix` },
    });
    assertEquals(api.status, 400);
    assertEquals((await api.json()).error.message, `destDir: ${sentence}`);
  } finally {
    await w.cleanup();
  }
});

Deno.test("Start, the card, Switch at ready, done; a second move while one runs is refused with the service's sentence", async () => {
  const w = await movesWorld();
  try {
    const op = await w.login("operator");
    const start = () =>
      w.request(`/ui/domains/${VM1.uuid}/move`, {
        as: op,
        body: formBody([["root", w.root], ["subfolder", "fast"], ["disks", "vda"], [
          "bandwidthMiB",
          "1.5",
        ], ["pivot", "manual"]]),
        type: FORM,
      });
    const res = await start();
    assertEquals(res.status, 200);
    const section = await res.text();
    assertEquals(w.moves.started, [{
      destDir: `${w.root}/fast`,
      disks: ["vda"],
      bandwidthBytes: 1572864,
      pivot: "manual",
    }]);
    const [move] = w.moves.list();
    assertStringIncludes(section, `id="move-${move.id}"`);
    assertStringIncludes(section, 'data-state="copying"');
    assertStringIncludes(section, `hx-get="/ui/moves/${move.id}/card?seen=copying"`);
    assert(!section.includes("move/review"), "no second form while a move runs");

    // A second start: the service refuses; the sentence goes into the review's error box.
    const again = await start();
    assertEquals(again.status, 409);
    assertEquals(again.headers.get("HX-Retarget"), `#move-start-error-${VM1.uuid}`);
    assertStringIncludes(await again.text(), `A move of domain ${VM1.name} is already running`);

    // Switch before ready: 409 and the card says why.
    const early = await w.request(`/ui/moves/${move.id}/pivot`, { as: op, method: "POST" });
    assertEquals(early.status, 409);
    const earlyCard = await early.text();
    assertStringIncludes(earlyCard, "Switch is possible once every disk is ready");
    assertStringIncludes(earlyCard, 'data-action="move-switch"');
    assert(
      /data-action="move-switch"[^>]*disabled/.test(earlyCard),
      "Switch disabled before ready",
    );

    w.moves.advance(move.id, { state: "mirroring", fraction: 0.5 });
    const half = await (await w.request(`/ui/moves/${move.id}/card`, { as: op })).text();
    assertStringIncludes(half, 'data-percent="50"');
    assertStringIncludes(half, "1.5 MiB of 3 MiB");
    assertStringIncludes(half, "rate 512 KiB/s");
    assertStringIncludes(half, "ETA 3s");

    w.moves.advance(move.id, { state: "ready" });
    const ready = await (await w.request(`/ui/moves/${move.id}/card`, { as: op })).text();
    assert(!/data-action="move-switch"[^>]*disabled/.test(ready), "Switch enabled at ready");
    const done = await w.request(`/ui/moves/${move.id}/pivot`, { as: op, method: "POST" });
    assertEquals(done.status, 200);
    // The move ended: the card, and the form back beside it (out of band, never retargeted).
    assertEquals(done.headers.get("HX-Retarget"), null);
    const doneCard = await done.text();
    assert(doneCard.startsWith(`<div id="move-${move.id}"`), doneCard.slice(0, 80));
    assertStringIncludes(
      doneCard,
      `id="move-form-slot-${VM1.uuid}" class="move-form-slot" hx-swap-oob="true"`,
    );
    assertStringIncludes(doneCard, 'class="move-form"');
    // A page still polling a running card gets the form too; an ended card, only itself.
    const polled = await (await w.request(`/ui/moves/${move.id}/card?seen=ready`, { as: op }))
      .text();
    assertStringIncludes(polled, 'hx-swap-oob="true"');
    const same = await (await w.request(`/ui/moves/${move.id}/card?seen=done`, { as: op })).text();
    assert(!same.includes("hx-swap-oob"));
    assert(same.startsWith(`<div id="move-${move.id}"`));
    assert(!doneCard.includes(`/ui/moves/${move.id}/card`), "a finished card stops polling");
    assertStringIncludes(doneCard, `hx-get="/ui/moves/${move.id}/cleanup"`);
    assertEquals(w.queue.snapshot().running, [], "the finished move freed its slot");

    // Viewers watch but cannot switch or cancel.
    const viewer = await w.login("viewer");
    const denied = await w.request(`/ui/moves/${move.id}/cancel`, { as: viewer, method: "POST" });
    assertEquals(denied.status, 403);
    const watched = await (await w.request(`/ui/moves/${move.id}/card`, { as: viewer })).text();
    assert(!watched.includes("move-cleanup"), "no Clean up for viewers");
  } finally {
    await w.cleanup();
  }
});

Deno.test("the queue: waiting moves show their place, move up and down, and leave on Cancel", async () => {
  const w = await movesWorld();
  try {
    const op = await w.login("operator");
    const a = await w.moves.start(VM1.uuid, { destDir: `${w.root}/a` });
    const b = await w.moves.start("vm2", { destDir: `${w.root}/b` });
    const c = await w.moves.start("vm3", { destDir: `${w.root}/c` });
    assertEquals(w.queue.snapshot(), {
      maxRunning: 1,
      bandwidthBudget: null,
      running: [a.id],
      waiting: [b.id, c.id],
    });
    const cardB = await (await w.request(`/ui/moves/${b.id}/card`, { as: op })).text();
    assertStringIncludes(cardB, "Waiting in the queue: position 1 of 2.");
    assert(/data-action="move-up"[^>]*disabled/.test(cardB), "the first cannot go up");
    assert(!cardB.includes("move-switch"), "no Switch while waiting");

    const up = await w.request(`/ui/moves/${c.id}/up`, { as: op, method: "POST" });
    assertEquals(up.status, 200);
    assertStringIncludes(await up.text(), "position 1 of 2");
    assertEquals(w.queue.snapshot().waiting, [c.id, b.id]);

    // The API does the same, and says where the move now is.
    const down = await w.request(`/api/v1/moves/${c.id}/down`, { as: op, method: "POST" });
    assertEquals(down.status, 200);
    const body = await down.json();
    const answers = answerChecker(apiDocument());
    answers.check("POST", "/api/v1/moves/:id/down", 200, body);
    assertEquals(body.queue, { state: "waiting", position: 2, of: 2 });
    assertEquals(body.move.id, c.id);
    const queue = await (await w.request("/api/v1/moves/queue", { as: op })).json();
    answers.check("GET", "/api/v1/moves/queue", 200, queue);
    assertEquals(queue.queue.waiting, [b.id, c.id]);

    // A running move has no place to change: the same sentence in the page and the API.
    const apiRefusal = await w.request(`/api/v1/moves/${a.id}/up`, { as: op, method: "POST" });
    assertEquals(apiRefusal.status, 409);
    const sentence = await messageOf(apiRefusal);
    assertStringIncludes(sentence, "not waiting in the queue: only waiting moves can be reordered");
    const pageRefusal = await w.request(`/ui/moves/${a.id}/up`, { as: op, method: "POST" });
    assertEquals(pageRefusal.status, 409);
    assertStringIncludes(await pageRefusal.text(), sentence);

    // The dashboard's queue panel: running first, then the waiting ones in order.
    const dashboard = await (await w.request("/", { as: op })).text();
    assertStringIncludes(dashboard, 'id="move-queue"');
    const panel = await (await w.request("/ui/moves/queue", { as: op })).text();
    assert(
      panel.indexOf(`data-move="${a.id}"`) < panel.indexOf(`data-move="${b.id}"`) &&
        panel.indexOf(`data-move="${b.id}"`) < panel.indexOf(`data-move="${c.id}"`),
      "queue order",
    );
    assertStringIncludes(panel, "waiting: 2 of 2");
    const fromPanel = await w.request(`/ui/moves/${c.id}/up?view=queue`, {
      as: op,
      method: "POST",
    });
    const panelAfter = await fromPanel.text();
    assert(panelAfter.startsWith('<section id="move-queue"'), "the panel answers its buttons");
    assert(panelAfter.indexOf(`data-move="${c.id}"`) < panelAfter.indexOf(`data-move="${b.id}"`));
    const panelRefusal = await w.request(`/ui/moves/${a.id}/down?view=queue`, {
      as: op,
      method: "POST",
    });
    assertEquals(panelRefusal.status, 409);
    assertStringIncludes(await panelRefusal.text(), sentence);
    await w.request(`/ui/moves/${c.id}/down?view=queue`, { as: op, method: "POST" });
    assertEquals(w.queue.snapshot().waiting, [b.id, c.id]);

    // Cancel a waiting move: it leaves the queue and never runs.
    const cancel = await w.request(`/ui/moves/${b.id}/cancel`, { as: op, method: "POST" });
    assertStringIncludes(await cancel.text(), 'data-state="canceled"');
    assertEquals(w.queue.snapshot().waiting, [c.id]);
    w.moves.advance(a.id, { state: "failed", message: "Destination full." });
    await new Promise((r) => setTimeout(r, 0));
    assertEquals(w.queue.snapshot().running, [c.id], "the next waiting move starts");
    assertEquals(w.moves.get(b.id)!.state, "canceled");
  } finally {
    await w.cleanup();
  }
});

Deno.test("move routes: malformed and unknown ids, clean-up before done, viewers refused", async () => {
  const w = await movesWorld();
  try {
    const op = await w.login("operator");
    const bad = await w.request("/api/v1/moves/nope/up", { as: op, method: "POST" });
    assertEquals(bad.status, 400);
    assertStringIncludes(await messageOf(bad), "move id: a move id is a UUID");
    const unknown = await w.request(`/api/v1/moves/${crypto.randomUUID()}/cleanup`, { as: op });
    assertEquals(unknown.status, 404);
    const a = await w.moves.start(VM1.uuid, { destDir: `${w.root}/a` });
    const early = await w.request(`/api/v1/moves/${a.id}/cleanup`, { as: op, json: {} });
    assertEquals(early.status, 409);
    assertStringIncludes(await messageOf(early), "can be cleaned up only after it is done");
    const strange = await w.request(`/api/v1/moves/${a.id}/cleanup`, {
      as: op,
      json: { files: ["/etc/passwd"], extra: 1 },
    });
    assertEquals(strange.status, 400);
    const viewer = await w.login("viewer");
    const denied = await w.request(`/api/v1/moves/${a.id}/cleanup`, { as: viewer, json: {} });
    assertEquals(denied.status, 403);
    const deniedUi = await w.request(`/ui/moves/${a.id}/cleanup`, { as: viewer });
    assertEquals(deniedUi.status, 403);
  } finally {
    await w.cleanup();
  }
});
