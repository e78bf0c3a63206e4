/**
 * The Origin check of the terminal's event streams. Browsers open an `EventSource` cross-site
 * without any CORS protection for the response's existence, so a hostile page could otherwise
 * watch a signed-in operator's output and events.
 *
 * @module
 */
import type { Context } from "hono";
import type { TerminalDeps } from "./deps.ts";

/**
 * Why this stream request must be refused, or null. With an `Origin` header, its origin must be
 * allowed (`Origin: null` never is); without one, `Sec-Fetch-Site: cross-site` is refused.
 */
export function streamOriginRefusal(c: Context, deps: TerminalDeps): string | null {
  const origin = c.req.header("origin");
  if (origin === undefined) {
    return c.req.header("sec-fetch-site")?.toLowerCase() === "cross-site"
      ? "cross-site stream request refused"
      : null;
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `Origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `Origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`;
  }
  const allowed = deps.allowedOrigins?.(c) ?? [c.req.header("host") ?? ""];
  const ok = allowed.some((entry) => {
    if (entry === "") return false;
    if (entry.includes("://")) {
      try {
        return new URL(entry).origin === url.origin;
      } catch {
        return false;
      }
    }
    return entry.toLowerCase() === url.host.toLowerCase();
  });
  return ok ? null : `Origin ${JSON.stringify(origin.slice(0, 100))} is not allowed`;
}
