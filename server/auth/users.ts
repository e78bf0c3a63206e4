/**
 * Dashboard users: names, roles, password hashes, the disabled flag and the last login in the
 * `users` table. Plain storage: the rules about who may change what (the last enabled admin
 * stays) live in `admin.ts`, which the CLI and the admin pages both call.
 *
 * @module
 */
import { countRow, type ReadRow, rowReader } from "../db_rows.ts";
import { z } from "zod";
import type { Database } from "../db.ts";
import { type Clock, systemClock } from "../security/secrets.ts";
import {
  DEFAULT_PBKDF2_ITERATIONS,
  hashIterations,
  hashPassword,
  verifyPassword,
} from "./password.ts";
import { isRole, type Role } from "./roles.ts";

/** Name of the implicit admin in open mode; no real user may take it. */
export const OPEN_MODE_USER = "local";

/**
 * A user name: lowercase letter first, then lowercase letters, digits, `.`, `_`, `-`; at most 32
 * characters. Strict so names are safe in logs, CSV, URLs and never look like options.
 */
export const userNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]{0,31}$/,
    "user name must start with a lowercase letter and use only a-z, 0-9, '.', '_', '-' (at most 32 characters)",
  )
  .refine((name) => name !== OPEN_MODE_USER, {
    message: `"${OPEN_MODE_USER}" is reserved for open mode`,
  });

/** Password policy: 8 to 1024 characters. */
export const passwordSchema = z
  .string()
  .min(8, "password must have at least 8 characters")
  .max(1024, "password must have at most 1024 characters");

/** A stored user, without its password hash. */
export interface User {
  id: number;
  name: string;
  role: Role;
  /** A disabled user cannot sign in, and their sessions end at once. */
  disabled: boolean;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** Last successful login, or null. */
  lastLoginAt: number | null;
}

/** Why a user operation was refused. */
export type UserErrorCode = "exists" | "not-found" | "invalid" | "last-admin";

/** A refused user operation, with a message fit for the operator. */
export class UserError extends Error {
  /** Machine-readable reason. */
  readonly code: UserErrorCode;
  /** The input field at fault (`name`, `role`, `password`), for `invalid`. */
  readonly field?: string;
  constructor(code: UserErrorCode, message: string, field?: string) {
    super(message);
    this.name = "UserError";
    this.code = code;
    this.field = field;
  }
}

/** Options of {@link UserStore}. */
export interface UserStoreOptions {
  /** PBKDF2 iterations for new hashes; only tests lower it. */
  iterations?: number;
  now?: Clock;
}

/** A row of `users`. */
const userRow = rowReader("users row", {
  id: "integer",
  name: "text",
  role: "text",
  password_hash: "text",
  created_at: "integer",
  updated_at: "integer",
  disabled: "integer",
  last_login_at: "integer?",
});
type UserRow = ReadRow<typeof userRow>;

/** CRUD for users plus password verification. */
export class UserStore {
  readonly #db: Database;
  readonly #iterations: number;
  readonly #now: Clock;
  #dummyHash: Promise<string> | undefined;

  constructor(db: Database, options: UserStoreOptions = {}) {
    this.#db = db;
    this.#iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
    this.#now = options.now ?? systemClock;
  }

  /** Creates a user; throws {@link UserError} `invalid` or `exists`. */
  async create(name: string, role: Role, password: string): Promise<User> {
    const valid = parseOrThrow(z.object({ name: userNameSchema, password: passwordSchema }), {
      name,
      password,
    });
    if (!isRole(role)) {
      throw new UserError("invalid", `unknown role ${JSON.stringify(role)}`, "role");
    }
    if (this.get(valid.name)) {
      throw new UserError("exists", `user ${valid.name} already exists`);
    }
    const hash = await hashPassword(valid.password, { iterations: this.#iterations });
    const now = this.#now();
    try {
      this.#db.prepare(
        "INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      ).run(valid.name, role, hash, now, now);
    } catch (error) {
      // Another writer may have inserted the same name while we were hashing.
      if (String(error).includes("UNIQUE")) {
        throw new UserError("exists", `user ${valid.name} already exists`);
      }
      throw error;
    }
    return this.get(valid.name)!;
  }

  /** All users, sorted by name. */
  list(): User[] {
    return userRow.all(this.#db.prepare("SELECT * FROM users ORDER BY name").all()).map(toUser);
  }

  /** The user called `name`, or null. */
  get(name: string): User | null {
    const row = this.#row(name);
    return row ? toUser(row) : null;
  }

  /** How many users exist. */
  count(): number {
    return countRow.check(this.#db.prepare("SELECT COUNT(*) AS n FROM users").get()).n;
  }

  /**
   * Deletes a user and (by cascade) its sessions. No rule checks here: call it through
   * `admin.ts`, which keeps the last enabled admin.
   */
  delete(name: string): void {
    const user = this.#require(name);
    this.#db.prepare("DELETE FROM users WHERE id = ?").run(user.id);
  }

  /**
   * Changes a user's role; its sessions pick the new role up on their next request. No rule
   * checks here (see `admin.ts`).
   */
  setRole(name: string, role: Role): void {
    const user = this.#require(name);
    if (!isRole(role)) {
      throw new UserError("invalid", `unknown role ${JSON.stringify(role)}`, "role");
    }
    this.#db.prepare("UPDATE users SET role = ?, updated_at = ? WHERE id = ?").run(
      role,
      this.#now(),
      user.id,
    );
  }

  /**
   * Disables (or enables) a user. Disabling ends every session of the user in the same
   * transaction, so their next request is anonymous. No rule checks here (see `admin.ts`).
   */
  setDisabled(name: string, disabled: boolean): void {
    const user = this.#require(name);
    this.#transaction(() => {
      this.#db.prepare("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?").run(
        disabled ? 1 : 0,
        this.#now(),
        user.id,
      );
      if (disabled) this.#db.prepare("DELETE FROM sessions WHERE user_id = ?").run(user.id);
    });
  }

  /** Notes a successful login of `name` now. */
  recordLogin(name: string): void {
    this.#db.prepare("UPDATE users SET last_login_at = ? WHERE name = ?").run(this.#now(), name);
  }

  /** How many admins are enabled (the last one must stay, see `admin.ts`). */
  enabledAdminCount(): number {
    return countRow.check(
      this.#db.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
        .get(),
    ).n;
  }

  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`), so a check and the change it allows
   * are not split by another process writing the same database (the CLI beside the server).
   */
  transaction<T>(fn: () => T): T {
    return this.#transaction(fn);
  }

  /** Sets a new password and ends every session of that user (a stolen session dies with it). */
  async setPassword(name: string, password: string): Promise<void> {
    const valid = parseOrThrow(passwordSchema, password, "password");
    const user = this.get(name);
    if (!user) throw new UserError("not-found", `no user named ${JSON.stringify(name)}`);
    const hash = await hashPassword(valid, { iterations: this.#iterations });
    this.#transaction(() => {
      this.#db.prepare("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?").run(
        hash,
        this.#now(),
        user.id,
      );
      this.#db.prepare("DELETE FROM sessions WHERE user_id = ?").run(user.id);
    });
  }

  /**
   * The user when `password` is right, else null; a disabled user is returned too (with
   * `disabled` set), so the login can say so to whoever knows the password. Unknown names still cost one full hash, so the
   * response time does not reveal which names exist. Hashes made with fewer iterations than
   * configured are upgraded on a successful login.
   */
  async verify(name: string, password: string): Promise<User | null> {
    const row = typeof name === "string" && name.length <= 64 ? this.#row(name) : null;
    if (!row || typeof password !== "string" || password.length > 1024) {
      await verifyPassword(String(password).slice(0, 1024), await this.#dummy());
      return null;
    }
    if (!(await verifyPassword(password, row.password_hash))) return null;
    if ((hashIterations(row.password_hash) ?? 0) < this.#iterations) {
      const hash = await hashPassword(password, { iterations: this.#iterations });
      this.#db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(hash, row.id);
    }
    return toUser(row);
  }

  #row(name: string): UserRow | undefined {
    return userRow.one(this.#db.prepare("SELECT * FROM users WHERE name = ?").get(name));
  }

  #require(name: string): User {
    const user = this.get(name);
    if (!user) throw new UserError("not-found", `no user named ${JSON.stringify(name)}`);
    return user;
  }

  #transaction<T>(fn: () => T): T {
    if (this.#db.isTransaction) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword(crypto.randomUUID(), { iterations: this.#iterations });
    return this.#dummyHash;
  }
}

function toUser(row: UserRow): User {
  if (!isRole(row.role)) throw new Error(`user ${row.name} has an unknown role in the database`);
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    disabled: row.disabled !== 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}

/**
 * Parses with zod and turns the first issue into a {@link UserError} `invalid` naming the field
 * (the issue's path, else `field`).
 */
function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, field?: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue.path.length ? issue.path.join(".") : field;
    throw new UserError("invalid", issue.message, at);
  }
  return result.data;
}
