/**
 * Primitives for handling secrets: random tokens, SHA-256 digests and a constant-time comparison.
 * Every check of a password hash, token or CSRF value goes through {@link timingSafeEqual}.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Compares two byte strings (or UTF-8 strings) in time that depends only on their lengths, so a
 * caller cannot learn how many leading bytes of a secret it guessed right. Different lengths
 * return false (lengths of our secrets are public).
 */
export function timingSafeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const left = typeof a === "string" ? encoder.encode(a) : a;
  const right = typeof b === "string" ? encoder.encode(b) : b;
  // Walk the longer input fully even on a length mismatch so the loop count is not a shortcut.
  const length = Math.max(left.length, right.length);
  let difference = left.length ^ right.length;
  for (let i = 0; i < length; i++) {
    difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return difference === 0;
}

/** `count` cryptographically random bytes, encoded as unpadded base64url. */
export function randomToken(count = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(count)));
}

/** SHA-256 of the UTF-8 bytes of `text`, as lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return hex(new Uint8Array(digest));
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Unpadded base64url of `bytes` (safe in cookies, headers and URLs). */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Milliseconds since the epoch; injected so tests can move time. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();
