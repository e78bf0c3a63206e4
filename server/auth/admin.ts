/**
 * Managing accounts, the one place its rules live: the CLI (`server/cli/user.ts`) and the admin
 * pages (`server/routes/admin_ui.tsx`) both call {@link AccountAdmin}. Rules:
 *
 * - The last enabled admin cannot be deleted, demoted or disabled (the CLI's `delete --force`
 *   alone may delete it, from the host's shell), so nobody locks everyone out of user management.
 * - Every input is checked with the schemas below; a refusal names the field at fault.
 * - Deleting a user ends their sessions (cascade); disabling ends them and refuses their login;
 *   a new password ends them too.
 * - Every change, and every refusal, is audited under the acting user.
 *
 * @module
 */
import { z } from "zod";
import type { AuditInput } from "../audit/log.ts";
import { roleAtLeast, roleSchema } from "./roles.ts";
import type { Session, SessionStore } from "./sessions.ts";
import { type ApiToken, tokenNameSchema, type TokenStore } from "./tokens.ts";
import { passwordSchema, type User, UserError, userNameSchema, type UserStore } from "./users.ts";

/** A field that must be present, with a sentence naming it when it is not text. */
function required<T extends z.ZodType<string, string>>(field: string, schema: T) {
  return z.string({ error: `${field} is required` }).pipe(schema);
}

/** Adding a user. */
export const addUserInput = z.object({
  name: required("name", userNameSchema),
  role: roleSchema,
  password: required("password", passwordSchema),
});

/** Changing a user's role. */
export const setRoleInput = z.object({ role: roleSchema });

/** Setting a user's password. */
export const resetPasswordInput = z.object({ password: required("password", passwordSchema) });

/** Creating an API token. */
export const createTokenInput = z.object({
  name: required("name", tokenNameSchema),
  role: roleSchema,
});

/** Who does something, as the audit log names them. */
export interface Actor {
  /** User name, `token:<name>`, `local`, or the host user for the CLI. */
  user: string;
  role: string;
  client: string;
}

/** Where changes are audited: the audit log, or nothing. */
export interface AdminAuditSink {
  record(input: AuditInput): unknown;
}

/** The stores {@link AccountAdmin} changes. */
export interface AccountStores {
  users: UserStore;
  tokens: TokenStore;
  sessions: SessionStore;
  /** Omitted: nothing is audited (tests of the rules alone). */
  audit?: AdminAuditSink;
}

/** A token just created: `token` is the only copy of the secret. */
export interface CreatedToken {
  token: string;
  info: ApiToken;
}

/** Account management with its rules; see the module comment. */
export class AccountAdmin {
  readonly #stores: AccountStores;

  constructor(stores: AccountStores) {
    this.#stores = stores;
  }

  /** Every user, by name. */
  listUsers(): User[] {
    return this.#stores.users.list();
  }

  /** Every stored API token, by name (never a secret). */
  listTokens(): ApiToken[] {
    return this.#stores.tokens.list();
  }

  /** Every live session, most recently seen first. */
  listSessions(): Session[] {
    return this.#stores.sessions.listActive();
  }

  /** Adds a user. */
  addUser(actor: Actor, input: unknown): Promise<User> {
    return this.#audited(actor, "user.add", nameOf(input), async () => {
      const valid = parse(addUserInput, input);
      const user = await this.#stores.users.create(valid.name, valid.role, valid.password);
      return { value: user, message: `added ${user.name} (${user.role})` };
    });
  }

  /** Changes a user's role; the last enabled admin keeps theirs. */
  setRole(actor: Actor, name: string, input: unknown): Promise<User> {
    return this.#audited(actor, "user.role", name, () => {
      const { role } = parse(setRoleInput, input);
      const { users } = this.#stores;
      return users.transaction(() => {
        const user = this.#user(name);
        if (user.role === "admin" && !user.disabled && !roleAtLeast(role, "admin")) {
          this.#keepAnAdmin(user, "demote");
        }
        users.setRole(user.name, role);
        return { value: this.#user(name), message: `${user.name}: ${user.role} → ${role}` };
      });
    });
  }

  /** Sets a new password and ends the user's sessions. */
  resetPassword(actor: Actor, name: string, input: unknown): Promise<User> {
    return this.#audited(actor, "user.password", name, async () => {
      const { password } = parse(resetPasswordInput, input);
      const user = this.#user(name);
      await this.#stores.users.setPassword(user.name, password);
      return { value: user, message: `new password for ${user.name}; their sessions ended` };
    });
  }

  /** Disables or enables a user; disabling ends their sessions and refuses their login. */
  setDisabled(actor: Actor, name: string, disabled: boolean): Promise<User> {
    return this.#audited(actor, disabled ? "user.disable" : "user.enable", name, () => {
      const { users } = this.#stores;
      return users.transaction(() => {
        const user = this.#user(name);
        if (disabled && user.role === "admin" && !user.disabled) this.#keepAnAdmin(user, "disable");
        users.setDisabled(user.name, disabled);
        return {
          value: this.#user(name),
          message: disabled
            ? `disabled ${user.name}; their sessions ended`
            : `enabled ${user.name}`,
        };
      });
    });
  }

  /**
   * Deletes a user (their sessions end with them). `force` — the CLI's, from the host's shell —
   * deletes even the last enabled admin.
   */
  deleteUser(actor: Actor, name: string, options: { force?: boolean } = {}): Promise<User> {
    return this.#audited(actor, "user.delete", name, () => {
      const { users } = this.#stores;
      return users.transaction(() => {
        const user = this.#user(name);
        if (user.role === "admin" && !user.disabled && !options.force) {
          this.#keepAnAdmin(user, "delete");
        }
        users.delete(user.name);
        return { value: user, message: `deleted ${user.name} (${user.role})` };
      });
    });
  }

  /** Creates an API token; the answer holds its secret, the only copy anywhere. */
  createToken(actor: Actor, input: unknown): Promise<CreatedToken> {
    return this.#audited(actor, "token.create", nameOf(input), async () => {
      const valid = parse(createTokenInput, input);
      if (this.#stores.tokens.list().some((t) => t.name === valid.name)) {
        throw new UserError("exists", `a token named ${valid.name} already exists`, "name");
      }
      const created = await this.#stores.tokens.create(valid.name, valid.role);
      return { value: created, message: `created token ${valid.name} (${valid.role})` };
    });
  }

  /** Revokes (deletes) an API token: it stops working at once. */
  revokeToken(actor: Actor, name: string): Promise<ApiToken> {
    return this.#audited(actor, "token.revoke", name, () => {
      const token = this.#stores.tokens.list().find((t) => t.name === name);
      if (!token || !this.#stores.tokens.delete(name)) {
        throw new UserError("not-found", `no token named ${JSON.stringify(name)}`);
      }
      return { value: token, message: `revoked token ${name} (${token.role})` };
    });
  }

  /** Ends a live session, found by its stored hash. */
  endSession(actor: Actor, idHash: string): Promise<Session> {
    return this.#audited(actor, "session.end", null, () => {
      const session = this.#stores.sessions.findByHash(idHash);
      if (!session || !this.#stores.sessions.destroyByHash(idHash)) {
        throw new UserError("not-found", "that session has already ended");
      }
      return {
        value: session,
        message: `ended a session of ${session.userName} from ${session.client || "?"}`,
      };
    });
  }

  #user(name: string): User {
    const user = this.#stores.users.get(name);
    if (!user) throw new UserError("not-found", `no user named ${JSON.stringify(name)}`);
    return user;
  }

  /** Refuses when `user` is the last enabled admin. */
  #keepAnAdmin(user: User, verb: "delete" | "demote" | "disable"): void {
    if (this.#stores.users.enabledAdminCount() > 1) return;
    throw new UserError(
      "last-admin",
      `${user.name} is the last admin left enabled and cannot be ${
        verb === "delete" ? "deleted" : verb === "demote" ? "demoted" : "disabled"
      }; make another user an admin first`,
    );
  }

  /** Runs a change and audits it: `ok` with its message, or the refusal with its reason. */
  async #audited<T>(
    actor: Actor,
    action: string,
    subject: string | null,
    change: () => Promise<{ value: T; message: string }> | { value: T; message: string },
  ): Promise<T> {
    try {
      const { value, message } = await change();
      this.#record(actor, action, "ok", message);
      return value;
    } catch (error) {
      if (error instanceof UserError) {
        const about = subject ? `${subject}: ` : "";
        this.#record(actor, action, "refused", `${about}${error.message}`);
      }
      throw error;
    }
  }

  #record(actor: Actor, action: string, result: "ok" | "refused", message: string): void {
    this.#stores.audit?.record({ ...actor, action, result, message: message.slice(0, 2000) });
  }
}

/** Parses with zod; the first issue becomes a {@link UserError} `invalid` naming its field. */
function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // The schemas' sentences name their field ("role must be one of ...").
  throw new UserError("invalid", issue.message, issue.path.join(".") || undefined);
}

/** The name an input carries, for the audit line of a refusal (cut short, it is unchecked). */
function nameOf(input: unknown): string | null {
  if (typeof input !== "object" || input === null) return null;
  const name: unknown = Reflect.get(input, "name");
  return typeof name === "string" ? JSON.stringify(name.slice(0, 64)) : null;
}
