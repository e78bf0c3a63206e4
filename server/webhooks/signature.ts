/**
 * The signature of a webhook body: `sha256=` and the lowercase hex HMAC-SHA256 of the raw body
 * bytes under the shared secret (WebCrypto), the way GitHub signs its webhooks, so receivers can
 * reuse what they have.
 *
 * @module
 */
import { hex } from "../security/secrets.ts";

const encoder = new TextEncoder();

/** The `X-Blockboard-Signature` value of `body` under `secret`. */
export async function signatureOf(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(body));
  return `sha256=${hex(new Uint8Array(mac))}`;
}
