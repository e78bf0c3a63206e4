/**
 * `GET/POST /login`, `POST /logout`: the login page, rate-limited attempts, session cookies, and
 * an audit entry for every attempt.
 *
 * @module
 */
import { Hono } from "hono";
import { attemptLogin, limitedResponse, loginFormSchema, safeNextPath } from "../auth/login.ts";
import type { AuthEnv } from "../auth/middleware.ts";
import { clearSessionCookie, readSessionCookie, writeSessionCookie } from "../auth/sessions.ts";
import type { SecurityServices } from "../services.ts";
import { LoginPage } from "../../views/login.tsx";

/** What the login routes need. */
export interface AuthRouteDeps {
  security: SecurityServices;
  uri: string;
}

/** Login and logout. */
export function authRoutes(deps: AuthRouteDeps): Hono<AuthEnv> {
  const { security } = deps;
  const app = new Hono<AuthEnv>();

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
    const form = loginFormSchema.safeParse(fields);
    if (!form.success) {
      return c.html(
        <LoginPage uri={deps.uri} next={next} error={form.error.issues[0].message} />,
        400,
      );
    }
    const client = c.get("clientAddress");
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
      security.audit.record({
        user: form.data.username.slice(0, 64),
        role: "none",
        client,
        action: "login",
        result: "refused",
        message: outcome.message,
      });
      if (outcome.reason === "limited") return limitedResponse(c, outcome);
      return c.html(
        <LoginPage
          uri={deps.uri}
          next={next}
          error={outcome.message}
          username={form.data.username}
        />,
        401,
      );
    }
    writeSessionCookie(c, outcome.sessionId, { secure: security.secureCookie });
    security.audit.record({
      user: outcome.user.name,
      role: outcome.user.role,
      client,
      action: "login",
      result: "ok",
    });
    return c.redirect(next, 303);
  });

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
