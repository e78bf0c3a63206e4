/**
 * How blockboard writes an instant for a person: `2026-11-29 10:55:29 UTC`. One formatter for
 * the pages (`views/`) and the server's sentences (a host's 503, banners), so both read alike.
 *
 * @module
 */

/**
 * An ISO 8601 instant as the pages write times, `2026-11-29 10:55:29 UTC` (the admin page's
 * form); a value that is not a valid time is returned as given, null → `—`. Pure.
 */
export function formatUtc(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}
