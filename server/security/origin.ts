/**
 * Origin check for unsafe methods: the second line of CSRF defence after the Host allowlist. A
 * cross-site form post or fetch carries a foreign `Origin` (or `Sec-Fetch-Site: cross-site`), and
 * is refused with 403 before any handler runs.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { HttpError } from "../http_errors.ts";
import { isSafeMethod } from "./methods.ts";

/** Options of {@link originCheck}. */
export interface OriginCheckOptions {
  /** Lowercase `host[:port]` values an `Origin` may name (the Host allowlist). */
  allowed: ReadonlySet<string>;
  /**
   * Also check these safe-method requests. Defaults to WebSocket upgrades, which browsers send
   * cross-site without any CORS protection.
   */
  alsoCheck?: (c: Context) => boolean;
}

/** Why a request failed the origin check, or null when it passed. */
export type OriginVerdict = null | { message: string };

/** True when the request carries `Authorization: Bearer ...` (validated later by the auth step). */
export function hasBearer(c: Context): boolean {
  return /^bearer\s/i.test(c.req.header("authorization") ?? "");
}

/** True for WebSocket upgrade requests. */
export function isWebSocketUpgrade(c: Context): boolean {
  return (c.req.header("upgrade") ?? "").toLowerCase() === "websocket";
}

/**
 * The origin rule itself. With `Origin`: it must be http(s) and its host must be allowed
 * (`Origin: null` is refused). Without it: `Sec-Fetch-Site` must be `same-origin` or `none`.
 * Without both (curl, scripts): only bearer-token requests pass, because a browser cannot add an
 * `Authorization` header cross-site without a CORS preflight, which we never grant.
 */
export function judgeOrigin(c: Context, allowed: ReadonlySet<string>): OriginVerdict {
  const fetchSite = c.req.header("sec-fetch-site")?.toLowerCase();
  if (fetchSite === "cross-site") {
    return { message: "Cross-site request refused (Sec-Fetch-Site: cross-site)." };
  }
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    const host = originHost(origin);
    if (host === null) {
      return {
        message: `Request refused: Origin ${JSON.stringify(origin.slice(0, 200))} is not allowed.`,
      };
    }
    if (!allowed.has(host)) {
      return {
        message: `Cross-site request refused: Origin ${
          JSON.stringify(origin.slice(0, 200))
        } is not an allowed host.`,
      };
    }
    return null;
  }
  if (fetchSite !== undefined) {
    if (fetchSite === "same-origin" || fetchSite === "none") return null;
    return {
      message: `Request refused: Sec-Fetch-Site ${
        JSON.stringify(fetchSite.slice(0, 50))
      } without an Origin.`,
    };
  }
  if (hasBearer(c)) return null;
  return {
    message:
      "Request refused: no Origin or Sec-Fetch-Site header. Browsers send one; scripts must use an API token (Authorization: Bearer).",
  };
}

/** Middleware: 403 `cross_site` for unsafe requests that fail {@link judgeOrigin}. */
export function originCheck(options: OriginCheckOptions): MiddlewareHandler {
  const alsoCheck = options.alsoCheck ?? isWebSocketUpgrade;
  return async (c, next) => {
    if (!isSafeMethod(c.req.method) || alsoCheck(c)) {
      const verdict = judgeOrigin(c, options.allowed);
      if (verdict) throw new HttpError(403, "cross_site", verdict.message);
    }
    await next();
  };
}

/** The lowercase `host[:port]` of an http(s) origin, or null for `null`, other schemes, junk. */
function originHost(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  // An Origin is scheme://host[:port] only; anything more is not a browser's Origin.
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) return null;
  return url.host.toLowerCase();
}

/**
 * The rule for event streams: safe `GET`s that a hostile page could open with `EventSource`
 * cross-site to watch a signed-in operator's output. With an `Origin`, it must name an allowed
 * host (`Origin: null` never does); without one, only `Sec-Fetch-Site: cross-site` is refused.
 */
export function judgeStreamOrigin(c: Context, allowed: ReadonlySet<string>): OriginVerdict {
  const fetchSite = c.req.header("sec-fetch-site")?.toLowerCase();
  if (c.req.header("origin") === undefined && fetchSite !== "cross-site") return null;
  return judgeOrigin(c, allowed);
}

/**
 * Middleware for event-stream routes: 403 `cross_site` for requests failing
 * {@link judgeStreamOrigin}. Without `allowed` (an app without security services) the request's
 * own `Host` is the one allowed host.
 */
export function streamOriginCheck(allowed?: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const hosts = allowed ?? new Set([(c.req.header("host") ?? "").toLowerCase()]);
    const verdict = judgeStreamOrigin(c, hosts);
    if (verdict) throw new HttpError(403, "cross_site", verdict.message);
    await next();
  };
}
