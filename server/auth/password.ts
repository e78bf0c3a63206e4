/**
 * Password hashing with PBKDF2-HMAC-SHA256 (WebCrypto). Encoded as
 * `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, so the iteration count can be raised later
 * without breaking stored hashes.
 *
 * @module
 */
import { timingSafeEqual } from "../security/secrets.ts";

/** Iterations used unless a caller asks otherwise (OWASP 2023 minimum for PBKDF2-SHA256). */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;

/** Hashes stored with more iterations than this are rejected, so a tampered row cannot stall us. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;

const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** Options of {@link hashPassword}. */
export interface HashOptions {
  /**
   * PBKDF2 iterations; defaults to {@link DEFAULT_PBKDF2_ITERATIONS}. Only tests pass a lower
   * value, explicitly, to stay fast.
   */
  iterations?: number;
}

/** Hashes `password` with a fresh random 16-byte salt. */
export async function hashPassword(password: string, options: HashOptions = {}): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be an integer in 1..${MAX_PBKDF2_ITERATIONS}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return [SCHEME, String(iterations), toBase64(salt), toBase64(hash)].join("$");
}

/**
 * True when `password` matches `encoded`. The final comparison is constant-time; a malformed
 * `encoded` string is simply a mismatch.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseEncoded(encoded);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.iterations);
  return timingSafeEqual(candidate, parsed.hash);
}

/** The iteration count stored in `encoded`, or null when it is not one of our hashes. */
export function hashIterations(encoded: string): number | null {
  return parseEncoded(encoded)?.iterations ?? null;
}

function parseEncoded(
  encoded: string,
): { iterations: number; salt: Uint8Array; hash: Uint8Array } | null {
  const parts = encoded.split("$");
  if (parts.length !== 4 || parts[0] !== SCHEME || !/^[1-9]\d{0,8}$/.test(parts[1])) return null;
  const iterations = Number(parts[1]);
  if (iterations > MAX_PBKDF2_ITERATIONS) return null;
  try {
    const salt = fromBase64(parts[2]);
    const hash = fromBase64(parts[3]);
    if (salt.length < SALT_BYTES || hash.length !== HASH_BYTES) return null;
    return { iterations, salt, hash };
  } catch {
    return null;
  }
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
