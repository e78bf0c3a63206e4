/**
 * `GET/POST /login`, `POST /logout`: the login page, rate-limited attempts, session cookies, and
 * an audit entry for every attempt that reaches the form (refusals before it — Host, Origin — are
 * audited by the app like any other refusal).
 *
 * @module
 */
import type { AppEnv } from "../env.ts";
import { type Context, Hono } from "hono";
import { attemptLogin, limitedError, loginFormSchema, safeNextPath } from "../auth/login.ts";
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from "../auth/sessions.ts";
import type { SecurityServices } from "../services.ts";
import { noteFailure, wantsJson } from "../http_errors.ts";
import type { AuditInput } from "../audit/log.ts";
import { LoginPage } from "../../views/login.tsx";
import { apiRoute } from "../openapi/route.ts";
import { SESSION_COOKIE } from "../auth/sessions.ts";

/** What the login routes need. */
export interface AuthRouteDeps {
  security: SecurityServices;
  uri: string;
}

/** Login and logout. */
export function authRoutes(deps: AuthRouteDeps): Hono<AppEnv> {
  const { security } = deps;
  const app = new Hono<AppEnv>();

  app.get("/login", (c) => {
    if (c.get("user") && c.get("user")?.via !== "open") {
      return c.redirect(safeNextPath(c.req.query("next")), 303);
    }
    return c.html(
      <LoginPage
        uri={deps.uri}
        next={safeNextPath(c.req.query("next"))}
        noUsers={security.users.count() === 0}
      />,
    );
  });

  app.post("/login", async (c) => {
    const body = await c.req.parseBody();
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === "string") fields[k] = v;
    const next = safeNextPath(fields.next);
    const client = c.get("clientAddress");
    const form = loginFormSchema.safeParse(fields);
    if (!form.success) {
      const message = form.error.issues[0].message;
      auditLogin(c, {
        user: (fields.username ?? "").trim().slice(0, 64) || "anonymous",
        role: "none",
        client,
        action: "login",
        result: "refused",
        message: `400 ${message}`,
      });
      return c.html(<LoginPage uri={deps.uri} next={next} error={message} />, 400);
    }
    const outcome = await attemptLogin(
      {
        users: security.users,
        sessions: security.sessions,
        limiter: security.limiter,
        sleep: security.loginSleep,
      },
      { client, userName: form.data.username, password: form.data.password },
    );
    if (!outcome.ok) {
      const limited = outcome.reason === "limited";
      auditLogin(c, {
        user: form.data.username.slice(0, 64),
        role: "none",
        client,
        action: "login",
        result: "refused",
        // Attempts refused by the limiter can come as a flood: folded into one row per window.
        message: limited ? `429 limited (${outcome.scope})` : outcome.message,
      }, limited);
      if (outcome.reason === "limited" && wantsJson(c)) throw limitedError(outcome);
      // A browser gets the login page again, saying what was wrong (and how long to wait).
      return c.html(
        <LoginPage
          uri={deps.uri}
          next={next}
          error={outcome.message}
          username={form.data.username}
        />,
        outcome.reason === "limited" ? 429 : 401,
        outcome.reason === "limited" ? { "Retry-After": String(outcome.retryAfterSeconds) } : {},
      );
    }
    writeSessionCookie(c, outcome.sessionId, { secure: security.secureCookie });
    auditLogin(c, {
      user: outcome.user.name,
      role: outcome.user.role,
      client,
      action: "login",
      result: "ok",
    });
    return c.redirect(next, 303);
  });

  /**
   * Records a login entry and marks the request as audited (`c.var.audited`), so the app's
   * refusal audit adds no second, anonymous row; a login post refused before this route ran (bad
   * Origin, foreign Host) is audited by the app. `folded` entries (limited attempts) join equal
   * refusals in one row.
   */
  function auditLogin(c: Context<AppEnv>, entry: AuditInput, folded = false) {
    if (entry.result !== "ok") noteFailure(c, entry.message ?? "login refused");
    if (folded) security.audit.recordRefusal({ ...entry, result: "refused" });
    else security.audit.record(entry);
    c.set("audited", true);
  }

  app.post("/logout", async (c) => {
    const user = c.get("user");
    await security.sessions.destroy(readSessionCookie(c));
    clearSessionCookie(c, { secure: security.secureCookie });
    if (user) {
      security.audit.record({
        user: user.name,
        role: user.role,
        client: c.get("clientAddress"),
        action: "logout",
        result: "ok",
      });
    }
    return c.redirect("/login", 303);
  });
  return app;
}

/** The OpenAPI descriptions of signing in and out with a session cookie. */
export const authApiRoutes = [
  apiRoute({
    method: "post",
    path: "/login",
    operationId: "login",
    summary: "Sign in with a user name and password: sets the session cookie",
    description: "The browser's form; scripts should prefer a bearer token. Attempts are " +
      "rate-limited per client and per user.",
    tag: "auth",
    access: "public",
    body: {
      schema: loginFormSchema,
      required: true,
      contentType: "application/x-www-form-urlencoded",
    },
    responses: {
      303: {
        description: "Signed in: redirected to `next` (or /).",
        headers: { Location: "where to go next", "Set-Cookie": `the ${SESSION_COOKIE} session` },
      },
      400: {
        description: "A field is missing or too long: the form again.",
        contentType: "text/html",
      },
      401: {
        description: "Wrong user name or password: the form again.",
        contentType: "text/html",
      },
    },
    errors: {
      429: "Too many attempts (`rate_limited`); `Retry-After` says when to try again. JSON for " +
        "JSON clients, the form for a browser.",
    },
  }),
  apiRoute({
    method: "post",
    path: "/logout",
    operationId: "logout",
    summary: "End the session and clear its cookie",
    tag: "auth",
    access: "public",
    responses: {
      303: { description: "Signed out: redirected to /login.", headers: { Location: "/login" } },
    },
    errors: {
      403: "A session's request without its CSRF token (`csrf`), or from another site " +
        "(`cross_site`).",
    },
  }),
];
