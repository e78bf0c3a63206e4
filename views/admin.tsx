/**
 * The admin page for accounts (`/admin/users`): users, API tokens and live sessions, each a
 * section that its own forms redraw (htmx posts answered with the section's next state, a notice
 * or the refusal in it). A new token's secret appears only in the answer that created it. Pure.
 *
 * @module
 */
import type { ApiToken } from "../server/auth/tokens.ts";
import type { User } from "../server/auth/users.ts";
import type { Session } from "../server/auth/sessions.ts";
import { ROLES } from "../server/auth/roles.ts";
import type { Child } from "hono/jsx";
import { Layout, type LayoutSession } from "./layout.tsx";

/** Element ids of the three sections (the targets of their forms). */
export const ADMIN_SECTION_IDS = {
  users: "admin-users",
  tokens: "admin-tokens",
  sessions: "admin-sessions",
} as const;

/** What a section says above its table after an action. */
export interface SectionMessage {
  kind: "ok" | "error";
  text: string;
}

/** Props of {@link UsersSection}. */
export interface UsersSectionProps {
  users: readonly User[];
  /** The signed-in user's name (their row says "you"). */
  self: string | null;
  message?: SectionMessage | null;
  /** Out of band: replaces the section already on the page. */
  oob?: boolean;
}

/** Props of {@link TokensSection}. */
export interface TokensSectionProps {
  tokens: readonly ApiToken[];
  /** A token just created: its secret, shown in this answer only. */
  created?: { name: string; role: string; token: string } | null;
  message?: SectionMessage | null;
}

/** Props of {@link SessionsSection}. */
export interface SessionsSectionProps {
  sessions: readonly Session[];
  /** The stored hash of the viewer's own session, if they use one. */
  currentHash: string | null;
  message?: SectionMessage | null;
  /** Out of band: replaces the section already on the page. */
  oob?: boolean;
}

/** Props of {@link AdminUsersPage}. */
export interface AdminUsersPageProps
  extends Omit<UsersSectionProps, "oob">, Omit<SessionsSectionProps, "oob" | "message"> {
  uri: string;
  session: LayoutSession | null;
  tokens: readonly ApiToken[];
}

/** `GET /admin/users`. */
export function AdminUsersPage(props: AdminUsersPageProps) {
  return (
    <Layout title="Users and tokens — blockboard" uri={props.uri} session={props.session}>
      <section class="admin">
        <h1>Users and tokens</h1>
        <UsersSection users={props.users} self={props.self} />
        <TokensSection tokens={props.tokens} />
        <SessionsSection sessions={props.sessions} currentHash={props.currentHash} />
      </section>
    </Layout>
  );
}

/** A UTC time, or a word for "never". */
function When({ at, never = "never" }: { at: number | null; never?: string }) {
  if (at === null) return <span class="muted">{never}</span>;
  const iso = new Date(at).toISOString();
  return <time datetime={iso}>{iso.replace("T", " ").slice(0, 19)} UTC</time>;
}

function Message({ message }: { message?: SectionMessage | null }) {
  if (!message) return null;
  return message.kind === "error"
    ? <p class="error-message" role="alert">{message.text}</p>
    : <p class="admin-notice" role="status">{message.text}</p>;
}

function RoleOptions({ selected }: { selected?: string }) {
  return (
    <>
      {ROLES.map((r) => <option value={r} selected={r === selected}>{r}</option>)}
    </>
  );
}

/** The Name and Role inputs a new user and a new token both start from (viewer by default). */
function NewNameAndRole() {
  return (
    <>
      <label>
        Name <input name="name" required maxlength={32} autocomplete="off" />
      </label>
      <label>
        Role{" "}
        <select name="role">
          <RoleOptions selected="viewer" />
        </select>
      </label>
    </>
  );
}

/** A section of the admin page: its heading, the last action's message, then `children`. */
function AdminSection(
  { id, title, message, oob, children }: {
    id: string;
    title: string;
    message?: SectionMessage | null;
    /** Out of band: replaces the section already on the page. */
    oob?: boolean;
    children?: Child;
  },
) {
  return (
    <section
      id={id}
      class="admin-section"
      aria-labelledby={`${id}-title`}
      {...(oob ? { "hx-swap-oob": "true" } : {})}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <Message message={message} />
      {children}
    </section>
  );
}

/** htmx attributes of a form or button that redraws section `id`. */
function redraws(url: string, id: string) {
  return { "hx-post": url, "hx-target": `#${id}`, "hx-swap": "outerHTML" };
}

/** URL of a user's action. */
export function userActionUrl(name: string, action: string): string {
  return `/admin/users/${encodeURIComponent(name)}/${action}`;
}

/** The users: table with per-user actions, and the form that adds one. */
export function UsersSection({ users, self, message, oob }: UsersSectionProps) {
  const id = ADMIN_SECTION_IDS.users;
  return (
    <AdminSection id={id} title="Users" message={message} oob={oob}>
      <table class="admin-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>State</th>
            <th>Last login</th>
            <th>Password</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr data-user={u.name} data-role={u.role} data-disabled={String(u.disabled)}>
              <td data-label="Name">
                <strong>{u.name}</strong>
                {u.name === self ? <span class="tag">you</span> : null}
              </td>
              <td data-label="Role">
                <form class="inline-form" {...redraws(userActionUrl(u.name, "role"), id)}>
                  <select name="role" aria-label={`role of ${u.name}`}>
                    <RoleOptions selected={u.role} />
                  </select>{" "}
                  <button type="submit" class="btn" data-action="set-role">Set</button>
                </form>
              </td>
              <td data-label="State">
                {u.disabled
                  ? <span class="badge badge-failed">disabled</span>
                  : <span class="badge badge-completed">enabled</span>}
              </td>
              <td data-label="Last login">
                <When at={u.lastLoginAt} />
              </td>
              <td data-label="Password">
                <form class="inline-form" {...redraws(userActionUrl(u.name, "password"), id)}>
                  <input
                    type="password"
                    name="password"
                    autocomplete="new-password"
                    minlength={8}
                    required
                    placeholder="new password"
                    aria-label={`new password for ${u.name}`}
                  />{" "}
                  <button type="submit" class="btn" data-action="reset-password">Reset</button>
                </form>
              </td>
              <td data-label="Actions" class="admin-actions">
                <button
                  type="button"
                  class="btn"
                  data-action={u.disabled ? "enable" : "disable"}
                  {...redraws(userActionUrl(u.name, u.disabled ? "enable" : "disable"), id)}
                  hx-disable="this"
                  // Disabling ends the user's sessions at once, like Delete: ask first.
                  hx-confirm={u.disabled
                    ? undefined
                    : `Disable user ${u.name}? Their sessions end now and they cannot sign in until enabled again.`}
                >
                  {u.disabled ? "Enable" : "Disable"}
                </button>{" "}
                <button
                  type="button"
                  class="btn btn-danger"
                  data-action="delete"
                  {...redraws(userActionUrl(u.name, "delete"), id)}
                  hx-disable="this"
                  hx-confirm={`Delete user ${u.name}? Their sessions end now.`}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="admin-add" {...redraws("/admin/users", id)} hx-disable="find button">
        <h3>Add a user</h3>
        <NewNameAndRole />
        <label>
          Password{" "}
          <input
            type="password"
            name="password"
            required
            minlength={8}
            autocomplete="new-password"
          />
        </label>
        <button type="submit" class="btn btn-primary" data-action="add-user">Add user</button>
      </form>
    </AdminSection>
  );
}

/** The API tokens: table with Revoke, the form that creates one, and a new token's secret once. */
export function TokensSection({ tokens, created, message }: TokensSectionProps) {
  const id = ADMIN_SECTION_IDS.tokens;
  return (
    <AdminSection id={id} title="API tokens" message={message}>
      {created
        ? (
          <div class="token-created" role="status">
            <p>
              Token <strong>{created.name}</strong>{" "}
              ({created.role}) created. Copy it now: it is shown only this once, and blockboard
              keeps only its hash.
            </p>
            <code id="new-token" class="token-secret">{created.token}</code>{" "}
            <button type="button" class="btn" data-copy="#new-token">Copy</button>
          </div>
        )
        : null}
      {tokens.length === 0 ? <p class="muted">No API tokens.</p> : (
        <table class="admin-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr data-token={t.name}>
                <td data-label="Name">{t.name}</td>
                <td data-label="Role">{t.role}</td>
                <td data-label="Created">
                  <When at={t.createdAt} />
                </td>
                <td data-label="Last used">
                  <When at={t.lastUsedAt} />
                </td>
                <td data-label="Actions">
                  <button
                    type="button"
                    class="btn btn-danger"
                    data-action="revoke"
                    {...redraws(`/admin/tokens/${encodeURIComponent(t.name)}/revoke`, id)}
                    hx-disable="this"
                    hx-confirm={`Revoke token ${t.name}? Scripts using it stop working now.`}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="admin-add" {...redraws("/admin/tokens", id)} hx-disable="find button">
        <h3>Create a token</h3>
        <NewNameAndRole />
        <button type="submit" class="btn btn-primary" data-action="create-token">
          Create token
        </button>
      </form>
    </AdminSection>
  );
}

/** The live sessions, each with End. */
export function SessionsSection({ sessions, currentHash, message, oob }: SessionsSectionProps) {
  const id = ADMIN_SECTION_IDS.sessions;
  return (
    <AdminSection id={id} title="Active sessions" message={message} oob={oob}>
      {sessions.length === 0
        ? <p class="muted">No one is signed in.</p>
        : (
          <table class="admin-table">
            <thead>
              <tr>
                <th>User</th>
                <th>Signed in</th>
                <th>Last seen</th>
                <th>Client</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr data-session-user={s.userName} data-current={String(s.idHash === currentHash)}>
                  <td data-label="User">
                    {s.userName} <span class="muted">({s.role})</span>
                    {s.idHash === currentHash ? <span class="tag">this session</span> : null}
                  </td>
                  <td data-label="Signed in">
                    <When at={s.createdAt} />
                  </td>
                  <td data-label="Last seen">
                    <When at={s.lastSeenAt} />
                  </td>
                  <td data-label="Client">{s.client || "unknown"}</td>
                  <td data-label="Actions">
                    <button
                      type="button"
                      class="btn btn-danger"
                      data-action="end-session"
                      {...redraws(`/admin/sessions/${s.idHash}/end`, id)}
                      hx-disable="this"
                      hx-confirm={s.idHash === currentHash
                        ? "End your own session? You will be signed out."
                        : `End this session of ${s.userName}?`}
                    >
                      End
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </AdminSection>
  );
}
