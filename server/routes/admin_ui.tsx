/**
 * `/admin/users`: accounts in the browser, for admins (the app gates the mount). Each post
 * answers with the next state of its section (users, tokens or sessions), with a notice or the
 * refusal in it and the refusal's status (htmx 4 swaps 4xx answers). The rules and the audit are
 * `auth/admin.ts`'s, the same the CLI follows.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { AppEnv } from "../env.ts";
import type { AccountAdmin } from "../auth/admin.ts";
import { clearSessionCookie } from "../auth/sessions.ts";
import { noteFailure } from "../http_errors.ts";
import { accountHttpError, actorOf, auditedByRules, sessionHashParam } from "./admin_common.ts";
import { layoutSessionOf } from "./viewer.ts";
import {
  AdminUsersPage,
  type SectionMessage,
  SessionsSection,
  TokensSection,
  UsersSection,
} from "../../views/admin.tsx";

/** What the admin pages need. */
export interface AdminUiDeps {
  admin: AccountAdmin;
  uri: string;
  /** Serving over TLS (to clear the cookie of a session the admin ended on themselves). */
  secureCookie: boolean;
}

/** Routes under `/admin`. */
export function adminUi(deps: AdminUiDeps): Hono<AppEnv> {
  const { admin } = deps;
  const app = new Hono<AppEnv>();

  const self = (c: Context<AppEnv>) => c.var.user?.name ?? null;
  const currentHash = (c: Context<AppEnv>) => c.var.session?.idHash ?? null;

  app.get("/users", (c) =>
    c.html(
      <AdminUsersPage
        uri={deps.uri}
        session={layoutSessionOf(c)}
        users={admin.listUsers()}
        self={self(c)}
        tokens={admin.listTokens()}
        sessions={admin.listSessions()}
        currentHash={currentHash(c)}
      />,
    ));

  /** The form's text fields. */
  const fields = async (c: Context<AppEnv>) => {
    const body = await c.req.parseBody();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
    return out;
  };

  /**
   * Runs an account change and answers with `render(message)`: the notice on success, the
   * refusal (with its status) otherwise. When the change ended the caller's own session, the
   * browser is sent to the login page.
   */
  const act = async (
    c: Context<AppEnv>,
    change: () => Promise<string>,
    render: (
      message: SectionMessage,
      ok: boolean,
    ) => HtmlEscapedString | Promise<HtmlEscapedString>,
  ) => {
    try {
      const notice = await change();
      c.set("audited", true);
      if (currentHash(c) !== null && !stillSignedIn(c)) return signedOut(c);
      return c.html(render({ kind: "ok", text: notice }, true));
    } catch (e) {
      const err = accountHttpError(e);
      noteFailure(c, err.message);
      if (auditedByRules(e)) c.set("audited", true);
      return c.html(render({ kind: "error", text: err.message }, false), err.status);
    }
  };

  /** Is the caller's session still live (not ended, user not deleted or disabled)? */
  const stillSignedIn = (c: Context<AppEnv>) => {
    const hash = currentHash(c);
    return admin.listSessions().some((s) => s.idHash === hash);
  };

  /** The caller ended their own session: drop the cookie, send the browser to the login page. */
  const signedOut = (c: Context<AppEnv>) => {
    clearSessionCookie(c, { secure: deps.secureCookie });
    c.header("HX-Redirect", "/login");
    return c.html(<p role="status">Your session ended. Sign in again.</p>);
  };

  const users = (c: Context<AppEnv>, message: SectionMessage, changedSessions = false) => (
    <>
      <UsersSection users={admin.listUsers()} self={self(c)} message={message} />
      {changedSessions
        ? <SessionsSection sessions={admin.listSessions()} currentHash={currentHash(c)} oob />
        : null}
    </>
  );

  app.post("/users", async (c) => {
    const input = await fields(c);
    return act(
      c,
      async () => {
        const user = await admin.addUser(actorOf(c), input);
        return `Added ${user.name} (${user.role}).`;
      },
      (m) => users(c, m),
    );
  });

  app.post("/users/:name/role", async (c) => {
    const input = await fields(c);
    return act(c, async () => {
      const user = await admin.setRole(actorOf(c), c.req.param("name"), input);
      return `${user.name} is now ${user.role}.`;
    }, (m) => users(c, m));
  });

  app.post("/users/:name/password", async (c) => {
    const input = await fields(c);
    return act(c, async () => {
      const user = await admin.resetPassword(actorOf(c), c.req.param("name"), input);
      return `New password set for ${user.name}; their sessions ended.`;
    }, (m, ok) => users(c, m, ok));
  });

  for (const [action, disabled] of [["disable", true], ["enable", false]] as const) {
    app.post(`/users/:name/${action}`, (c) =>
      act(c, async () => {
        const user = await admin.setDisabled(actorOf(c), c.req.param("name"), disabled);
        return disabled ? `Disabled ${user.name}; their sessions ended.` : `Enabled ${user.name}.`;
      }, (m, ok) => users(c, m, ok)));
  }

  app.post("/users/:name/delete", (c) =>
    act(c, async () => {
      const user = await admin.deleteUser(actorOf(c), c.req.param("name"));
      return `Deleted ${user.name}; their sessions ended.`;
    }, (m, ok) => users(c, m, ok)));

  app.post("/tokens", async (c) => {
    const input = await fields(c);
    let created: { name: string; role: string; token: string } | null = null;
    // The secret is in this answer only: no cache may keep it.
    c.header("Cache-Control", "no-store");
    return act(c, async () => {
      const made = await admin.createToken(actorOf(c), input);
      created = { name: made.info.name, role: made.info.role, token: made.token };
      return `Created token ${made.info.name}.`;
    }, (m) => (
      <TokensSection
        tokens={admin.listTokens()}
        created={created}
        message={created ? null : m}
      />
    ));
  });

  app.post("/tokens/:name/revoke", (c) =>
    act(c, async () => {
      const token = await admin.revokeToken(actorOf(c), c.req.param("name"));
      return `Revoked token ${token.name}; it no longer works.`;
    }, (m) => <TokensSection tokens={admin.listTokens()} message={m} />));

  app.post("/sessions/:id/end", (c) =>
    act(
      c,
      async () => {
        const session = await admin.endSession(actorOf(c), sessionHashParam(c.req.param("id")));
        return `Ended a session of ${session.userName}.`;
      },
      (m) => (
        <SessionsSection sessions={admin.listSessions()} currentHash={currentHash(c)} message={m} />
      ),
    ));

  return app;
}
