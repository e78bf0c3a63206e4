/**
 * Webhook signing and delivery against a real HTTP receiver on 127.0.0.1: the signature checks
 * out with WebCrypto on the receiving side, failed attempts are retried with doubling delays
 * (an injected sleep records them), hopeless answers are not retried, a silent receiver times out.
 */
import { assertEquals } from "@std/assert";
import { signatureOf } from "../../server/webhooks/signature.ts";
import { backoffMs, deliver, retryableStatus } from "../../server/webhooks/delivery.ts";
import { shownUrl, webhookSecretSchema, webhookUrlSchema } from "../../server/webhooks/settings.ts";
import { startReceiver, verifySignature } from "./receiver.ts";

const SECRET = "webhook-secret-for-tests";

Deno.test("signatureOf matches the RFC 4231 HMAC-SHA256 test vector", async () => {
  assertEquals(
    await signatureOf("Jefe", "what do ya want for nothing?"),
    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assertEquals(
    await verifySignature(
      "Jefe",
      "what do ya want for nothing?",
      await signatureOf("Jefe", "what do ya want for nothing?"),
    ),
    true,
  );
  assertEquals(
    await verifySignature(
      "Jefe",
      "what do ya want for nothing!",
      await signatureOf("Jefe", "what do ya want for nothing?"),
    ),
    false,
  );
});

Deno.test("backoff doubles from the base; which statuses are retried", () => {
  assertEquals([1, 2, 3, 4].map((n) => backoffMs(n, 1000)), [1000, 2000, 4000, 8000]);
  const cases: [number, boolean][] = [
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [401, false],
    [404, false],
    [301, false],
  ];
  for (const [status, want] of cases) assertEquals(retryableStatus(status), want, String(status));
});

Deno.test("a receiver failing the first two attempts gets the third, signed, after 1 s and 2 s", async () => {
  await using receiver = startReceiver(SECRET, (n) => n <= 2 ? 503 : 204);
  const slept: number[] = [];
  const body = JSON.stringify({ event: "ready", host: "local" });
  const result = await deliver({
    url: receiver.url,
    body,
    headers: {
      "Content-Type": "application/json",
      "X-Blockboard-Event": "ready",
      "X-Blockboard-Delivery": "d-1",
      "X-Blockboard-Signature": await signatureOf(SECRET, body),
    },
    signal: new AbortController().signal,
  }, {
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  assertEquals(result, { ok: true, attempts: 3, error: "" });
  assertEquals(slept, [1000, 2000]);
  assertEquals(receiver.received.length, 3);
  for (const r of receiver.received) {
    assertEquals(r.signatureValid, true);
    assertEquals(r.body, body);
    assertEquals(r.delivery, "d-1", "retries keep the delivery id");
  }
});

Deno.test("five failed attempts give up with the last status; a 4xx is not retried", async () => {
  await using failing = startReceiver(SECRET, () => 500);
  const noSleep = () => Promise.resolve();
  const request = (url: string) => ({
    url,
    body: "{}",
    headers: {},
    signal: new AbortController().signal,
  });
  assertEquals(await deliver(request(failing.url), { sleep: noSleep }), {
    ok: false,
    attempts: 5,
    error: "HTTP 500",
  });
  assertEquals(failing.received.length, 5);
  await using refusing = startReceiver(SECRET, () => 401);
  assertEquals(await deliver(request(refusing.url), { sleep: noSleep }), {
    ok: false,
    attempts: 1,
    error: "HTTP 401",
  });
});

Deno.test("an attempt without an answer times out and is retried", async () => {
  let release = () => {};
  const held = new Promise<number>((resolve) => (release = () => resolve(200)));
  await using receiver = startReceiver(SECRET, (n) => n === 1 ? held : 200);
  const result = await deliver({
    url: receiver.url,
    body: "{}",
    headers: {},
    signal: new AbortController().signal,
  }, { timeoutMs: 200, sleep: () => Promise.resolve() });
  release();
  assertEquals(result, { ok: true, attempts: 2, error: "" });
});

Deno.test("webhook settings: http(s) URLs only; the secret is long enough; the audit shows the origin only", () => {
  for (const ok of ["http://127.0.0.1:9000/hook", "https://hooks.example.com/a/b?x=1"]) {
    assertEquals(webhookUrlSchema.safeParse(ok).success, true, ok);
  }
  for (
    const bad of [
      "ftp://x/y",
      "file:///etc/passwd",
      "/relative",
      "http://",
      "http://a b/",
      "javascript:alert(1)",
    ]
  ) {
    assertEquals(webhookUrlSchema.safeParse(bad).success, false, bad);
  }
  assertEquals(webhookSecretSchema.safeParse("short").success, false);
  assertEquals(webhookSecretSchema.safeParse("x".repeat(16)).success, true);
  assertEquals(
    shownUrl("https://user:pw@hooks.example.com/T000/B000/secret?x=1"),
    "https://hooks.example.com",
  );
});
