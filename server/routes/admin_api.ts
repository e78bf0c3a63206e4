/**
 * `/api/v1/admin/{users,tokens,sessions}`: the admin page's actions as JSON, for admins (the app
 * gates the mount). Same rules and audit as the page and the CLI (`auth/admin.ts`); errors are
 * `{"error":{"code","message","field"}}`.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import type { AccountAdmin } from "../auth/admin.ts";
import type { User } from "../auth/users.ts";
import type { Session } from "../auth/sessions.ts";
import type { ApiToken } from "../auth/tokens.ts";
import { clearSessionCookie } from "../auth/sessions.ts";
import { roleSchema } from "../auth/roles.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import { accountHttpError, actorOf, auditedByRules, sessionHashParam } from "./admin_common.ts";

/** What the admin API needs. */
export interface AdminApiDeps {
  admin: AccountAdmin;
  /** Serving over TLS (to clear the cookie of a session the caller ended on themselves). */
  secureCookie: boolean;
}

/**
 * `PATCH /users/:name`: exactly one change per request, so a request is never half done.
 */
export const userPatchBody = z.strictObject({
  role: roleSchema.optional(),
  disabled: z.boolean({ error: "disabled must be true or false" }).optional(),
  password: z.string({ error: "password must be text" }).optional(),
}, { error: "must be a JSON object with one of role, disabled, password" }).refine(
  (b) => Object.keys(b).length === 1,
  "send exactly one of role, disabled, password",
);

/** A user as the API shows it (times as ISO strings). */
function userJson(u: User) {
  return {
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    createdAt: new Date(u.createdAt).toISOString(),
    lastLoginAt: u.lastLoginAt === null ? null : new Date(u.lastLoginAt).toISOString(),
  };
}

function tokenJson(t: ApiToken) {
  return {
    name: t.name,
    role: t.role,
    createdAt: new Date(t.createdAt).toISOString(),
    lastUsedAt: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(),
  };
}

function sessionJson(s: Session, current: string | null) {
  return {
    id: s.idHash,
    user: s.userName,
    role: s.role,
    client: s.client,
    createdAt: new Date(s.createdAt).toISOString(),
    lastSeenAt: new Date(s.lastSeenAt).toISOString(),
    current: s.idHash === current,
  };
}

/** Routes under `/api/v1/admin`. */
export function adminApi(deps: AdminApiDeps): Hono<AppEnv> {
  const { admin } = deps;
  const app = new Hono<AppEnv>();

  const body = async (c: Context<AppEnv>): Promise<unknown> => {
    try {
      return await c.req.json();
    } catch {
      throw new HttpError(400, "invalid_input", "the body must be JSON");
    }
  };

  /** Runs an account change; a refusal becomes its HTTP error (audited by the rules). */
  const run = async <T>(c: Context<AppEnv>, change: () => Promise<T>): Promise<T> => {
    try {
      const value = await change();
      c.set("audited", true);
      return value;
    } catch (e) {
      if (auditedByRules(e)) c.set("audited", true);
      throw accountHttpError(e);
    }
  };

  const current = (c: Context<AppEnv>) => c.var.session?.idHash ?? null;

  /** After a change, a caller whose own session ended loses its cookie too. */
  const dropCookieIfEnded = (c: Context<AppEnv>) => {
    const hash = current(c);
    if (hash !== null && !admin.listSessions().some((s) => s.idHash === hash)) {
      clearSessionCookie(c, { secure: deps.secureCookie });
    }
  };

  app.get("/users", (c) => c.json({ users: admin.listUsers().map(userJson) }));

  app.post("/users", async (c) => {
    const input = await body(c);
    const user = await run(c, () => admin.addUser(actorOf(c), input));
    return c.json({ user: userJson(user) }, 201);
  });

  app.patch("/users/:name", async (c) => {
    const parsed = userPatchBody.safeParse(await body(c));
    if (!parsed.success) throw invalidInput(parsed.error, "body");
    const name = c.req.param("name");
    const actor = actorOf(c);
    const b = parsed.data;
    const user = await run(
      c,
      () =>
        b.role !== undefined
          ? admin.setRole(actor, name, { role: b.role })
          : b.disabled !== undefined
          ? admin.setDisabled(actor, name, b.disabled)
          : admin.resetPassword(actor, name, { password: b.password }),
    );
    dropCookieIfEnded(c);
    return c.json({ user: userJson(admin.listUsers().find((u) => u.name === user.name) ?? user) });
  });

  app.delete("/users/:name", async (c) => {
    await run(c, () => admin.deleteUser(actorOf(c), c.req.param("name")));
    dropCookieIfEnded(c);
    return c.body(null, 204);
  });

  app.get("/tokens", (c) => c.json({ tokens: admin.listTokens().map(tokenJson) }));

  app.post("/tokens", async (c) => {
    const input = await body(c);
    const created = await run(c, () => admin.createToken(actorOf(c), input));
    c.header("Cache-Control", "no-store");
    return c.json({ token: created.token, info: tokenJson(created.info) }, 201);
  });

  app.delete("/tokens/:name", async (c) => {
    await run(c, () => admin.revokeToken(actorOf(c), c.req.param("name")));
    return c.body(null, 204);
  });

  app.get(
    "/sessions",
    (c) => c.json({ sessions: admin.listSessions().map((s) => sessionJson(s, current(c))) }),
  );

  app.delete("/sessions/:id", async (c) => {
    const id = sessionHashParam(c.req.param("id"));
    await run(c, () => admin.endSession(actorOf(c), id));
    dropCookieIfEnded(c);
    return c.body(null, 204);
  });

  return app;
}
