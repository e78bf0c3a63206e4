/**
 * The restarting line stream under the event listener: lines split across chunks, a restart
 * after virsh exits (libvirtd restarting) that asks the monitor for a resync, and a stop that
 * kills the process.
 */
import { assertEquals } from "@std/assert";
import { JobBook } from "../../server/jobs/book.ts";
import { EventListener } from "../../server/jobs/events.ts";
import { LibvirtReachability } from "../../server/jobs/libvirt_seen.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { VM1 } from "./fixtures.ts";

Deno.test("the event listener restarts virsh event after it dies and asks for a resync", async () => {
  let runs = 0;
  const runner = new FakeRunner((_args, options) => {
    runs++;
    if (runs === 1) return { error: "internal error: client socket is closed" };
    return new Promise((resolve) => {
      // One line in two chunks, as a pipe may deliver it.
      const line = `event 'lifecycle' for domain '${VM1.name}': Stopped Destroyed\n`;
      options.onStdout?.(line.slice(0, 20));
      options.onStdout?.(line.slice(20));
      options.signal?.addEventListener("abort", () => resolve(""), { once: true });
    });
  });
  const book = new JobBook();
  book.begin({ uuid: VM1.uuid, target: "vda", domain: VM1.name, type: "pull", bandwidthBytes: 0 });
  book.confirm({ uuid: VM1.uuid, target: "vda" });
  const libvirt = new LibvirtReachability();
  let resyncs = 0;
  const listener = new EventListener(runner, book, {
    libvirt,
    now: Date.now,
    backoffMs: { initial: 1, max: 1 },
    wantResync: () => resyncs++,
  });
  const lines: string[] = [];
  listener.subscribe((l) => lines.push(l));
  listener.start();
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(listener.state, "listening");
  assertEquals(runs, 2);
  assertEquals(resyncs, 1, "events in the gap are lost: one resync");
  assertEquals(lines, [`event 'lifecycle' for domain '${VM1.name}': Stopped Destroyed`]);
  assertEquals(book.get({ uuid: VM1.uuid, target: "vda" })?.phase, "interrupted");
  assertEquals(libvirt.snapshot().reachable, true);
  await listener.stop();
  assertEquals(listener.state, "off");
});
