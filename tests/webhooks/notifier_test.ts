/**
 * Webhooks from the job book's transitions to a real receiver on 127.0.0.1: one signed JSON body
 * per event in order, retries of a failing receiver, audited final failures and overflow, a
 * listener that never waits for a receiver, and a shutdown that audits what was left.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { JobBook } from "../../server/jobs/book.ts";
import { AuditLog } from "../../server/audit/log.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { WebhookNotifier } from "../../server/webhooks/notifier.ts";
import type { JobWebhookPayload } from "../../server/webhooks/event.ts";
import { startReceiver } from "./receiver.ts";

const SECRET = "webhook-secret-for-tests";
const UUID = "0b6f1c44-5a0e-4d7e-9d59-2a1c1e0b7a01";
const noSleep = () => Promise.resolve();

function auditLog(): AuditLog {
  return new AuditLog(openDatabase(IN_MEMORY));
}

/** Starts a copy on disk `target` of the book and returns its ref. */
function startCopy(book: JobBook, target = "vda") {
  const ref = { uuid: UUID, target };
  book.begin({ ...ref, domain: "web-1", type: "copy", bandwidthBytes: 0, dest: "/x/copy.qcow2" });
  book.confirm(ref);
  return ref;
}

Deno.test("started, ready and pivoted arrive signed and in order; the first is retried twice", async () => {
  await using receiver = startReceiver(SECRET, (n) => n <= 2 ? 500 : 200);
  const audit = auditLog();
  const book = new JobBook();
  const slept: number[] = [];
  const notifier = new WebhookNotifier({
    urls: [receiver.url],
    secret: SECRET,
    audit,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  notifier.watchJobs("hv1", book);
  const ref = startCopy(book);
  book.markReady(ref);
  book.finish(ref, "pivoted");
  await notifier.idle();
  const got = receiver.received;
  assertEquals(got.length, 5);
  assertEquals(slept, [1000, 2000]);
  assertEquals(got.map((r) => r.event), ["started", "started", "started", "ready", "pivoted"]);
  assert(got.every((r) => r.signatureValid), "a signature did not verify");
  assert(got.every((r) => r.contentType === "application/json"));
  assertEquals(new Set(got.slice(0, 3).map((r) => r.delivery)).size, 1, "retries keep the id");
  assertEquals(new Set(got.slice(2).map((r) => r.delivery)).size, 3);
  const pivoted = JSON.parse(got[4].body) as JobWebhookPayload;
  assertEquals(Object.keys(pivoted).sort(), ["at", "event", "host", "job"]);
  assertEquals(pivoted.event, "pivoted");
  assertEquals(pivoted.host, "hv1");
  assertEquals(pivoted.job.domain, "web-1");
  assertEquals(pivoted.job.phase, "pivoted");
  assertEquals(pivoted.job.dest, "/x/copy.qcow2");
  assert(!Number.isNaN(Date.parse(pivoted.at)));
  assertEquals(notifier.delivered, 3);
  assertEquals(audit.query({}).total, 0);
});

Deno.test("a delivery that fails for good is audited with the receiver's origin only", async () => {
  await using receiver = startReceiver(SECRET, () => 503);
  const audit = auditLog();
  const book = new JobBook();
  const notifier = new WebhookNotifier({
    urls: [receiver.url + "/secret-path"],
    secret: SECRET,
    audit,
    sleep: noSleep,
  });
  notifier.watchJobs("local", book);
  startCopy(book);
  await notifier.idle();
  assertEquals(receiver.received.length, 5);
  const { entries } = audit.query({});
  assertEquals(entries.length, 1);
  assertEquals(entries[0].action, "webhook.delivery");
  assertEquals(entries[0].result, "failed");
  assertEquals(entries[0].domain, "web-1");
  assertStringIncludes(entries[0].message, "started of the copy job on web-1 vda on host local");
  assertStringIncludes(entries[0].message, "after 5 attempt(s): HTTP 503");
  assert(!entries[0].message.includes("secret-path"), entries[0].message);
});

Deno.test("a full queue drops the oldest event, audited; the book's listener never waits", async () => {
  let release = () => {};
  const held = new Promise<number>((resolve) => (release = () => resolve(200)));
  await using receiver = startReceiver(SECRET, (n) => n === 1 ? held : 200);
  const audit = auditLog();
  const book = new JobBook();
  const notifier = new WebhookNotifier({
    urls: [receiver.url],
    secret: SECRET,
    audit,
    queueLimit: 2,
    sleep: noSleep,
  });
  notifier.watchJobs("local", book);
  for (const target of ["vda", "vdb", "vdc", "vdd", "vde"]) startCopy(book, target);
  // All five transitions returned while the receiver still holds the first answer.
  await receiver.waitFor(1);
  assertEquals(notifier.dropped, 2);
  release();
  await notifier.idle();
  const targets = receiver.received.map((r) =>
    (JSON.parse(r.body) as JobWebhookPayload).job.target
  );
  assertEquals(targets, ["vda", "vdd", "vde"]);
  const dropped = audit.query({}).entries.map((e) => [e.action, e.message.split(" at ")[0]]);
  assertEquals(dropped.sort(), [
    ["webhook.dropped", "started of the copy job on web-1 vdb on host local"],
    ["webhook.dropped", "started of the copy job on web-1 vdc on host local"],
  ]);
});

Deno.test("a receiver that never answers does not delay another one", async () => {
  let release = () => {};
  const never = new Promise<number>((resolve) => (release = () => resolve(200)));
  await using dead = startReceiver(SECRET, () => never);
  await using alive = startReceiver(SECRET);
  const audit = auditLog();
  const book = new JobBook();
  const notifier = new WebhookNotifier({
    urls: [dead.url, alive.url],
    secret: SECRET,
    audit,
    timeoutMs: 60_000,
  });
  notifier.watchJobs("local", book);
  const ref = startCopy(book);
  book.markReady(ref);
  book.finish(ref, "kept-copy");
  const got = await alive.waitFor(3, 5000);
  assertEquals(got.map((r) => r.event), ["started", "ready", "kept-copy"]);
  assertEquals(dead.received.length, 1);
  // The receiver saw the third request before its answer reached the sender.
  while (notifier.delivered < 3) await new Promise((r) => setTimeout(r, 10));
  await notifier.close();
  release();
  // The dead receiver's three events were not delivered: audited at shutdown.
  const messages = audit.query({}).entries.map((e) => e.message.split(" at ")[0]).sort();
  assertEquals(messages, [
    "kept-copy of the copy job on web-1 vda on host local",
    "ready of the copy job on web-1 vda on host local",
    "started of the copy job on web-1 vda on host local",
  ]);
});

Deno.test("close stops retrying and audits the events still waiting", async () => {
  await using receiver = startReceiver(SECRET, () => 500);
  const audit = auditLog();
  const book = new JobBook();
  const notifier = new WebhookNotifier({
    urls: [receiver.url],
    secret: SECRET,
    audit,
    baseDelayMs: 60_000,
  });
  notifier.watchJobs("local", book);
  startCopy(book, "vda");
  startCopy(book, "vdb");
  await receiver.waitFor(1);
  const t0 = Date.now();
  await notifier.close();
  assert(Date.now() - t0 < 5000, "close waited for the backoff");
  startCopy(book, "vdc"); // after close: ignored
  const messages = audit.query({}).entries.map((e) => e.message);
  assertEquals(messages.length, 2);
  assert(messages.every((m) => m.includes("blockboard stopped")), messages.join("\n"));
});
