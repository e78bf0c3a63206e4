/**
 * Login sessions. The browser holds a random 32-byte id in the `bb_session` cookie; the database
 * holds only its SHA-256, so a leaked database does not leak live sessions. Each session has its
 * own CSRF token, an idle timeout and an absolute timeout.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Database } from "../db.ts";
import { rowReader } from "../db_rows.ts";
import { type Clock, randomToken, sha256Hex, systemClock } from "../security/secrets.ts";
import { isRole, type Role } from "./roles.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "bb_session";

/** Default idle timeout: 30 minutes without a request ends the session. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;

/** Default absolute timeout: 12 hours after login the session ends regardless. */
export const DEFAULT_ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;

/** Options of {@link SessionStore}. */
export interface SessionOptions {
  idleTimeoutMs?: number;
  absoluteTimeoutMs?: number;
  now?: Clock;
}

/** A live session, joined with its user's current name and role. */
export interface Session {
  /** SHA-256 hex of the cookie value; the id itself is never stored. */
  idHash: string;
  userName: string;
  role: Role;
  csrfToken: string;
  /** Client address at login. */
  client: string;
  createdAt: number;
  lastSeenAt: number;
}

/** A new session: `id` goes into the cookie and must not be kept anywhere else. */
export interface NewSession {
  id: string;
  session: Session;
}

/** A row of the sessions joined with their users. */
const sessionRow = rowReader("sessions row", {
  id_hash: "text",
  csrf_token: "text",
  client: "text",
  created_at: "integer",
  last_seen_at: "integer",
  name: "text",
  role: "text",
});

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Creates, resolves and ends sessions. */
export class SessionStore {
  readonly #db: Database;
  readonly #now: Clock;
  /** Idle timeout in milliseconds. */
  readonly idleTimeoutMs: number;
  /** Absolute timeout in milliseconds. */
  readonly absoluteTimeoutMs: number;

  constructor(db: Database, options: SessionOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? systemClock;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.absoluteTimeoutMs = options.absoluteTimeoutMs ?? DEFAULT_ABSOLUTE_TIMEOUT_MS;
  }

  /** Starts a session for an existing user (call after a successful password check). */
  async create(userName: string, client: string): Promise<NewSession> {
    const user = this.#db.prepare("SELECT id FROM users WHERE name = ?").get(userName) as
      | { id: number }
      | undefined;
    if (!user) throw new Error(`no user named ${JSON.stringify(userName)}`);
    const id = randomToken(32);
    const idHash = await sha256Hex(id);
    const now = this.#now();
    this.#db.prepare(
      "INSERT INTO sessions (id_hash, user_id, csrf_token, client, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(idHash, user.id, randomToken(32), client, now, now);
    const session = this.#find(idHash);
    if (!session) throw new Error("session vanished right after creation");
    return { id, session };
  }

  /**
   * The live session for a cookie value, or null when it is malformed, unknown, logged out or
   * timed out (timed-out rows are deleted). Refreshes the idle timer.
   */
  async resolve(id: string | undefined): Promise<Session | null> {
    if (!id || !SESSION_ID_PATTERN.test(id)) return null;
    const idHash = await sha256Hex(id);
    const session = this.#find(idHash);
    if (!session) return null;
    const now = this.#now();
    if (
      now - session.lastSeenAt >= this.idleTimeoutMs ||
      now - session.createdAt >= this.absoluteTimeoutMs
    ) {
      this.#db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
      return null;
    }
    this.#db.prepare("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?").run(now, idHash);
    return { ...session, lastSeenAt: now };
  }

  /** Ends the session with this cookie value (logout). True when one existed. */
  async destroy(id: string | undefined): Promise<boolean> {
    if (!id || !SESSION_ID_PATTERN.test(id)) return false;
    const result = this.#db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(
      await sha256Hex(id),
    );
    return Number(result.changes) > 0;
  }

  /** Ends every session of a user; returns how many. */
  destroyAllForUser(userName: string): number {
    const result = this.#db.prepare(
      "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
    ).run(userName);
    return Number(result.changes);
  }

  /**
   * Every live session (not timed out, of an enabled user), most recently seen first: what the
   * admin page lists. The ids are the stored hashes, never a cookie value.
   */
  listActive(): Session[] {
    const now = this.#now();
    const rows = this.#db.prepare(
      `${SELECT_SESSION} WHERE u.disabled = 0 AND s.last_seen_at > ? AND s.created_at > ?
       ORDER BY s.last_seen_at DESC, s.id_hash`,
    ).all(now - this.idleTimeoutMs, now - this.absoluteTimeoutMs);
    return rows.flatMap((row) => {
      const session = toSession(row);
      return session ? [session] : [];
    });
  }

  /** The live session whose stored hash is `idHash`, or null (see {@link listActive}). */
  findByHash(idHash: string): Session | null {
    return this.listActive().find((s) => s.idHash === idHash) ?? null;
  }

  /** Ends the session whose stored hash is `idHash` (the admin page). True when one existed. */
  destroyByHash(idHash: string): boolean {
    const result = this.#db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
    return Number(result.changes) > 0;
  }

  /** Deletes timed-out sessions; call now and then. Returns how many went. */
  purgeExpired(): number {
    const now = this.#now();
    const result = this.#db.prepare(
      "DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?",
    ).run(now - this.idleTimeoutMs, now - this.absoluteTimeoutMs);
    return Number(result.changes);
  }

  /** A session of an enabled user (a disabled user's sessions stop at once, even if a row is left). */
  #find(idHash: string): Session | null {
    const row = this.#db.prepare(`${SELECT_SESSION} WHERE s.id_hash = ? AND u.disabled = 0`).get(
      idHash,
    );
    return row ? toSession(row) : null;
  }
}

const SELECT_SESSION =
  `SELECT s.id_hash, s.csrf_token, s.client, s.created_at, s.last_seen_at, u.name, u.role
   FROM sessions s JOIN users u ON u.id = s.user_id`;

function toSession(value: unknown): Session | null {
  const row = sessionRow.check(value);
  if (!isRole(row.role)) return null;
  return {
    idHash: row.id_hash,
    userName: row.name,
    role: row.role,
    csrfToken: row.csrf_token,
    client: row.client,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

/** Cookie attributes that depend on how we are served. */
export interface SessionCookieOptions {
  /** Serving over TLS: adds `Secure`. */
  secure: boolean;
  /** Cookie lifetime in seconds; default: the browser session. */
  maxAgeSeconds?: number;
}

/** The session cookie value sent with this request, if any. */
export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** Sets `bb_session=<id>; HttpOnly; SameSite=Strict; Path=/` (+ `Secure` under TLS). */
export function writeSessionCookie(c: Context, id: string, options: SessionCookieOptions): void {
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: options.secure,
    ...(options.maxAgeSeconds === undefined ? {} : { maxAge: options.maxAgeSeconds }),
  });
}

/** Tells the browser to drop the session cookie (logout). */
export function clearSessionCookie(c: Context, options: SessionCookieOptions): void {
  deleteCookie(c, SESSION_COOKIE, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: options.secure,
  });
}
