/**
 * The job book's transitions as listeners hear them (metrics and webhooks): a start once libvirt
 * accepted it (never for a discarded start), ready once, every end with the phase before it,
 * adoption (ready included), and a throwing listener that harms nothing.
 */
import { assertEquals } from "@std/assert";
import { JobBook } from "../../server/jobs/book.ts";
import type { JobTransition } from "../../server/jobs/transitions.ts";
import type { XmlDisk } from "../../server/virsh/parse/domxml.ts";
import { IMG, VM1 } from "./fixtures.ts";

const VDA = { uuid: VM1.uuid, target: "vda" };

function heard() {
  const book = new JobBook({ now: () => 1_700_000_000_000 });
  const seen: JobTransition[] = [];
  book.onTransition((t) => seen.push(t));
  const summary = () => seen.map((t) => `${t.kind}:${t.from ?? "-"}>${t.job.phase}`);
  return { book, seen, summary };
}

function begin(book: JobBook) {
  book.begin({ ...VDA, domain: VM1.name, type: "copy", bandwidthBytes: 0 });
}

Deno.test("a confirmed copy: started, ready once, pivoted; a second end is heard as a correction", () => {
  const { book, seen, summary } = heard();
  begin(book);
  assertEquals(seen.length, 0, "a start is heard once libvirt accepted it");
  book.confirm(VDA);
  book.confirm(VDA);
  book.markReady(VDA);
  book.markReady(VDA);
  book.finish(VDA, "pivoted");
  book.finish({ ...VDA, id: 1 }, "failed");
  assertEquals(summary(), ["started:->running", "ready:running>ready", "ended:ready>pivoted"]);
  assertEquals(seen[2].job.outcome !== null, true);
  assertEquals(seen[2].job.domain, VM1.name);
});

Deno.test("a discarded start is never heard", () => {
  const { book, summary } = heard();
  begin(book);
  book.discard(VDA);
  assertEquals(summary(), []);
});

Deno.test("an event settling an unknown end is heard with the phase before it", () => {
  const { book, summary } = heard();
  begin(book);
  book.confirm(VDA);
  book.finish(VDA, "unknown", "vanished");
  book.endByEvent(VDA, "completed", "Block Copy");
  assertEquals(summary(), [
    "started:->running",
    "ended:running>unknown",
    "ended:unknown>pivoted",
  ]);
});

Deno.test("adopting a ready mirror is heard as started then ready; a throwing listener harms nothing", () => {
  const { book, summary } = heard();
  book.onTransition(() => {
    throw new Error("listener bug");
  });
  const disk: XmlDisk = {
    target: "vda",
    bus: "virtio",
    device: "disk",
    type: "file",
    chain: [{ index: 1, type: "file", path: `${IMG}/base.qcow2`, format: "qcow2" }],
    chainOpenEnded: false,
    mirror: { path: `${IMG}/copy.qcow2`, format: "qcow2", job: "copy", ready: "yes" },
    readonly: false,
  };
  const job = book.adopt({
    uuid: VM1.uuid,
    domain: VM1.name,
    disk,
    info: { typeName: "Block Copy", type: "copy", bandwidth: 0, cur: 5, end: 5 },
  });
  assertEquals(job.phase, "ready");
  assertEquals(summary(), ["started:->running", "ready:running>ready"]);
});
