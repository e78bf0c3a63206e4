/**
 * Validation of the webhook settings (`--webhook URL`, repeatable; `--webhook-secret`): a
 * receiver is an absolute http(s) URL, the secret long enough to sign with.
 *
 * @module
 */
import { z } from "zod";

/** An absolute `http:` or `https:` URL without spaces, credentials in it allowed. */
export const webhookUrlSchema = z.string().max(2048, "must be at most 2048 characters").refine(
  (raw) => {
    if (/\s/.test(raw)) return false;
    const url = URL.parse(raw);
    return url !== null && (url.protocol === "http:" || url.protocol === "https:") &&
      url.hostname !== "";
  },
  "must be an absolute http:// or https:// URL",
);

/** The HMAC key: at least 16 printable ASCII characters. */
export const webhookSecretSchema = z
  .string()
  .min(16, "must be at least 16 characters long")
  .max(512, "must be at most 512 characters long")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/** A receiver's URL as the audit log names it: scheme, host and port only (paths hold secrets). */
export function shownUrl(raw: string): string {
  return URL.parse(raw)?.origin ?? "(invalid URL)";
}
