/**
 * API tokens for scripts: `Authorization: Bearer <token>`, each tied to a role. A token looks like
 * `bbt_<id>_<secret>`; the database keeps the id and the SHA-256 of the whole token, and the
 * presented token's hash is compared in constant time. `BLOCKBOARD_TOKEN` from the environment
 * adds one operator token that lives only in memory.
 *
 * @module
 */
import { countRow, rowReader } from "../db_rows.ts";
import { z } from "zod";
import type { Database } from "../db.ts";
import {
  type Clock,
  randomToken,
  sha256Hex,
  systemClock,
  timingSafeEqual,
} from "../security/secrets.ts";
import { isRole, type Role } from "./roles.ts";

/** Environment variable holding the operator token for automation. */
export const ENV_TOKEN_VARIABLE = "BLOCKBOARD_TOKEN";

/** Role of the environment token. */
export const ENV_TOKEN_ROLE: Role = "operator";

/** Who an accepted token speaks for (shown in the audit log). */
export const ENV_TOKEN_NAME = "env";

/** A token name: same shape as a user name. */
export const tokenNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]{0,31}$/,
    "token name must start with a lowercase letter and use only a-z, 0-9, '.', '_', '-' (at most 32 characters)",
  )
  .refine((name) => name !== ENV_TOKEN_NAME, {
    message: `"${ENV_TOKEN_NAME}" is reserved for ${ENV_TOKEN_VARIABLE}`,
  });

/** `BLOCKBOARD_TOKEN` must be long enough not to be guessable. */
export const envTokenSchema = z
  .string()
  .min(24, `${ENV_TOKEN_VARIABLE} must be at least 24 characters long`)
  .max(512, `${ENV_TOKEN_VARIABLE} must be at most 512 characters long`)
  .regex(/^[\x21-\x7e]+$/, `${ENV_TOKEN_VARIABLE} must be printable ASCII without spaces`);

/** A stored token (never its secret). */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The identity an accepted token grants. `name` is `token:<name>` for the audit log. */
export interface TokenIdentity {
  name: string;
  role: Role;
}

/** Options of {@link TokenStore}. */
export interface TokenStoreOptions {
  /** Value of `BLOCKBOARD_TOKEN`, if set; validated with {@link envTokenSchema}. */
  envToken?: string;
  now?: Clock;
}

/** A row of `tokens`. */
const tokenRow = rowReader("tokens row", {
  id: "text",
  name: "text",
  role: "text",
  secret_hash: "text",
  created_at: "integer",
  last_used_at: "integer?",
});

const TOKEN_PATTERN = /^bbt_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** Creates, lists, deletes and verifies API tokens. */
export class TokenStore {
  readonly #db: Database;
  readonly #now: Clock;
  readonly #envTokenHash: Promise<string> | null;

  constructor(db: Database, options: TokenStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
    if (options.envToken !== undefined && options.envToken !== "") {
      const parsed = envTokenSchema.safeParse(options.envToken);
      if (!parsed.success) throw new Error(parsed.error.issues[0].message);
      this.#envTokenHash = sha256Hex(parsed.data);
    } else {
      this.#envTokenHash = null;
    }
  }

  /** True when `BLOCKBOARD_TOKEN` is configured. */
  get hasEnvToken(): boolean {
    return this.#envTokenHash !== null;
  }

  /** Number of stored tokens (not counting the environment token). */
  count(): number {
    return countRow.check(this.#db.prepare("SELECT COUNT(*) AS n FROM tokens").get()).n;
  }

  /** True when any token (stored or environment) could authenticate. */
  hasAny(): boolean {
    return this.hasEnvToken || this.count() > 0;
  }

  /** Creates a token; the returned `token` is the only copy of the secret. */
  async create(name: string, role: Role): Promise<{ token: string; info: ApiToken }> {
    const parsed = tokenNameSchema.safeParse(name);
    if (!parsed.success) throw new Error(parsed.error.issues[0].message);
    if (!isRole(role)) throw new Error(`unknown role ${JSON.stringify(role)}`);
    if (this.#db.prepare("SELECT 1 FROM tokens WHERE name = ?").get(parsed.data)) {
      throw new Error(`a token named ${parsed.data} already exists`);
    }
    const id = Array.from(
      crypto.getRandomValues(new Uint8Array(8)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    const token = `bbt_${id}_${randomToken(32)}`;
    this.#db.prepare(
      "INSERT INTO tokens (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    ).run(id, parsed.data, role, await sha256Hex(token), this.#now());
    return { token, info: this.list().find((t) => t.id === id)! };
  }

  /** All stored tokens, sorted by name. */
  list(): ApiToken[] {
    const rows = tokenRow.all(this.#db.prepare("SELECT * FROM tokens ORDER BY name").all());
    return rows.flatMap((row) =>
      isRole(row.role)
        ? [{
          id: row.id,
          name: row.name,
          role: row.role,
          createdAt: row.created_at,
          lastUsedAt: row.last_used_at,
        }]
        : []
    );
  }

  /** Deletes the token called `name`; true when it existed. */
  delete(name: string): boolean {
    return Number(this.#db.prepare("DELETE FROM tokens WHERE name = ?").run(name).changes) > 0;
  }

  /** The identity for a presented bearer token, or null. Hashes are compared in constant time. */
  async verify(presented: string): Promise<TokenIdentity | null> {
    if (typeof presented !== "string" || presented.length > 512) return null;
    const presentedHash = await sha256Hex(presented);
    if (this.#envTokenHash && timingSafeEqual(presentedHash, await this.#envTokenHash)) {
      return { name: `token:${ENV_TOKEN_NAME}`, role: ENV_TOKEN_ROLE };
    }
    const match = TOKEN_PATTERN.exec(presented);
    if (!match) return null;
    const row = tokenRow.one(this.#db.prepare("SELECT * FROM tokens WHERE id = ?").get(match[1]));
    if (!row || !timingSafeEqual(presentedHash, row.secret_hash) || !isRole(row.role)) return null;
    this.#db.prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(this.#now(), row.id);
    return { name: `token:${row.name}`, role: row.role };
  }
}
