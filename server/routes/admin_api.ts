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
import { type AccountAdmin, addUserInput, createTokenInput } from "../auth/admin.ts";
import type { User } from "../auth/users.ts";
import type { Session } from "../auth/sessions.ts";
import type { ApiToken } from "../auth/tokens.ts";
import { clearSessionCookie } from "../auth/sessions.ts";
import { roleSchema } from "../auth/roles.ts";
import { HttpError, invalidInput } from "../http_errors.ts";
import {
  accountHttpError,
  actorOf,
  auditedByRules,
  sessionHashParam,
  sessionIdSchema,
} from "./admin_common.ts";
import { apiRoute } from "../openapi/route.ts";

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

const isoTime = z.string().describe("ISO 8601 time (UTC)");

/** A user as the API shows it (never a password hash). */
export const adminUserSchema = z.object({
  name: z.string(),
  role: roleSchema,
  disabled: z.boolean().describe("a disabled user cannot sign in; their sessions ended"),
  createdAt: isoTime,
  lastLoginAt: isoTime.nullable(),
});

/** An API token as the API lists it (never its secret). */
export const adminTokenSchema = z.object({
  name: z.string(),
  role: roleSchema,
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
});

/** A live session. */
export const adminSessionSchema = z.object({
  id: z.string().describe("SHA-256 of the cookie value, as stored (never the cookie itself)"),
  user: z.string(),
  role: roleSchema,
  client: z.string().describe("client address at sign-in"),
  createdAt: isoTime,
  lastSeenAt: isoTime,
  current: z.boolean().describe("the caller's own session"),
});

function userJson(u: User): z.infer<typeof adminUserSchema> {
  return {
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    createdAt: new Date(u.createdAt).toISOString(),
    lastLoginAt: u.lastLoginAt === null ? null : new Date(u.lastLoginAt).toISOString(),
  };
}

function tokenJson(t: ApiToken): z.infer<typeof adminTokenSchema> {
  return {
    name: t.name,
    role: t.role,
    createdAt: new Date(t.createdAt).toISOString(),
    lastUsedAt: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(),
  };
}

function sessionJson(s: Session, current: string | null): z.infer<typeof adminSessionSchema> {
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

const USERS = "/api/v1/admin/users";
const TOKENS = "/api/v1/admin/tokens";
const SESSIONS = "/api/v1/admin/sessions";
const nameParam = { name: z.string().describe("the user's or token's name") };
const idParam = { id: sessionIdSchema };
const lastAdmin = "The last enabled admin cannot be deleted, demoted or disabled (`last_admin`).";
const rules = "Same rules as the admin page and `deno task user` (server/auth/admin.ts); " +
  "audited under the caller.";

/** The admin API's routes, for the OpenAPI document. */
export const adminApiRoutes = [
  apiRoute({
    method: "get",
    path: USERS,
    operationId: "listUsers",
    summary: "Every user",
    tag: "admin",
    access: "admin",
    responses: {
      200: {
        description: "The users, by name.",
        schema: z.object({ users: z.array(adminUserSchema) }),
      },
    },
  }),
  apiRoute({
    method: "post",
    path: USERS,
    operationId: "addUser",
    summary: "Add a user",
    description: rules,
    tag: "admin",
    access: "admin",
    body: { schema: addUserInput, required: true },
    responses: {
      201: { description: "The new user.", schema: z.object({ user: adminUserSchema }) },
    },
    errors: { 409: "A user with this name exists (`conflict`)." },
  }),
  apiRoute({
    method: "patch",
    path: `${USERS}/:name`,
    operationId: "changeUser",
    summary: "Change a user's role, password or disabled state (one per request)",
    description: `${rules} A new password or disabling ends the user's sessions.`,
    tag: "admin",
    access: "admin",
    params: nameParam,
    body: { schema: userPatchBody, required: true },
    responses: {
      200: {
        description: "The user after the change.",
        schema: z.object({ user: adminUserSchema }),
      },
    },
    errors: { 404: "No user has this name (`not_found`).", 409: lastAdmin },
  }),
  apiRoute({
    method: "delete",
    path: `${USERS}/:name`,
    operationId: "deleteUser",
    summary: "Delete a user (their sessions end)",
    description: rules,
    tag: "admin",
    access: "admin",
    params: nameParam,
    responses: { 204: { description: "Deleted." } },
    errors: { 404: "No user has this name (`not_found`).", 409: lastAdmin },
  }),
  apiRoute({
    method: "get",
    path: TOKENS,
    operationId: "listTokens",
    summary: "Every stored API token (never a secret)",
    tag: "admin",
    access: "admin",
    responses: {
      200: {
        description: "The tokens, by name.",
        schema: z.object({ tokens: z.array(adminTokenSchema) }),
      },
    },
  }),
  apiRoute({
    method: "post",
    path: TOKENS,
    operationId: "createToken",
    summary: "Create an API token; the answer holds its secret, the only copy",
    description: rules,
    tag: "admin",
    access: "admin",
    body: { schema: createTokenInput, required: true },
    responses: {
      201: {
        description: "The secret (shown this once) and the token.",
        schema: z.object({ token: z.string(), info: adminTokenSchema }),
      },
    },
    errors: { 409: "A token with this name exists (`conflict`)." },
  }),
  apiRoute({
    method: "delete",
    path: `${TOKENS}/:name`,
    operationId: "revokeToken",
    summary: "Revoke an API token (it answers 401 from now on)",
    description: rules,
    tag: "admin",
    access: "admin",
    params: nameParam,
    responses: { 204: { description: "Revoked." } },
    errors: { 404: "No token has this name (`not_found`)." },
  }),
  apiRoute({
    method: "get",
    path: SESSIONS,
    operationId: "listSessions",
    summary: "Every live session",
    tag: "admin",
    access: "admin",
    responses: {
      200: {
        description: "Most recently seen first.",
        schema: z.object({ sessions: z.array(adminSessionSchema) }),
      },
    },
  }),
  apiRoute({
    method: "delete",
    path: `${SESSIONS}/:id`,
    operationId: "endSession",
    summary: "End a session (one's own signs out)",
    description: rules,
    tag: "admin",
    access: "admin",
    params: idParam,
    responses: { 204: { description: "Ended." } },
    errors: { 404: "The session has already ended (`not_found`)." },
  }),
];
