/**
 * A webhook receiver for tests: `Deno.serve` on 127.0.0.1 port 0 that checks each delivery's
 * HMAC signature itself (WebCrypto `verify`, independent of the sender's code), records what
 * arrived, and answers with the status the test's script gives per attempt.
 *
 * @module
 */

/** One request as received. */
export interface Received {
  event: string | null;
  delivery: string | null;
  signature: string | null;
  signatureValid: boolean;
  contentType: string | null;
  body: string;
}

/** A running receiver; dispose to stop it. */
export interface Receiver extends AsyncDisposable {
  url: string;
  received: Received[];
  /** Resolves once `n` requests arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
}

const encoder = new TextEncoder();

/** Checks `sha256=HEX` over `body` with `secret`, the way a receiver would. */
export async function verifySignature(
  secret: string,
  body: string,
  header: string | null,
): Promise<boolean> {
  const match = /^sha256=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const mac = new Uint8Array(match[1].match(/../g)!.map((h) => parseInt(h, 16)));
  return await crypto.subtle.verify("HMAC", key, mac, encoder.encode(body));
}

/**
 * Starts a receiver; `answer(n)` gives the status of the n-th request (1-based), or a promise
 * of it (to hold an answer back).
 */
export function startReceiver(
  secret: string,
  answer: (n: number) => number | Promise<number> = () => 200,
): Receiver {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    const signature = req.headers.get("x-blockboard-signature");
    received.push({
      event: req.headers.get("x-blockboard-event"),
      delivery: req.headers.get("x-blockboard-delivery"),
      signature,
      signatureValid: await verifySignature(secret, body, signature),
      contentType: req.headers.get("content-type"),
      body,
    });
    for (const wake of waiters.splice(0)) wake();
    return new Response(null, { status: await answer(received.length) });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async waitFor(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) {
          throw new Error(
            `the receiver got ${received.length} of ${n} requests in ${timeoutMs} ms`,
          );
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return received.slice(0, n);
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
