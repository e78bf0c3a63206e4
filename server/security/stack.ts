/**
 * The request-guard chain in its required order, for `app.use(...securityMiddleware(...))`:
 *
 * 1. `securityHeaders` – outermost, so even refusals carry CSP etc. and never CORS headers;
 * 2. `hostAllowlist` – 421 for foreign `Host` (DNS rebinding), before anything else looks at the request;
 * 3. `originCheck` – 403 for cross-site unsafe methods and WebSocket upgrades;
 * 4. `authenticate` – sets `user`, `session`, `csrfToken`, `openMode`, `clientAddress`;
 * 5. `csrfProtection` – 403 for session/open-mode unsafe requests without the right token.
 *
 * The app then gates each route group where it mounts it (`auth/policy.ts`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { authenticate, type AuthenticateOptions } from "../auth/middleware.ts";
import { csrfProtection } from "./csrf.ts";
import { securityHeaders } from "./headers.ts";
import { hostAllowlist } from "./host.ts";
import { originCheck, type OriginCheckOptions } from "./origin.ts";

/** Everything the chain needs. */
export interface SecurityStackOptions extends AuthenticateOptions {
  /** From `allowedHosts(...)`; used by both the Host and the Origin check. */
  allowedHosts: ReadonlySet<string>;
  /** Safe-method requests that still need an Origin check (default: WebSocket upgrades). */
  originAlsoCheck?: OriginCheckOptions["alsoCheck"];
}

/** The five guards, in order. */
export function securityMiddleware(options: SecurityStackOptions): MiddlewareHandler<AppEnv>[] {
  return [
    securityHeaders(),
    hostAllowlist({ allowed: options.allowedHosts }),
    originCheck({ allowed: options.allowedHosts, alsoCheck: options.originAlsoCheck }),
    authenticate(options),
    csrfProtection(),
  ];
}
