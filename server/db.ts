/**
 * The embedded SQLite database (`node:sqlite`, built into Deno) that holds users, sessions, API
 * tokens, the audit log and the job history, and the schema migrations that create them.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";

/** The open database handle used by every store. */
export type Database = DatabaseSync;

/** File name of the database inside the data directory. */
export const DATABASE_FILE = "blockboard.db";

/** Data directory used when neither `--data-dir` nor `BLOCKBOARD_DATA_DIR` is given. */
export const DEFAULT_DATA_DIR = "./data";

/** Pass as `dataDir` to get a private in-memory database (tests). */
export const IN_MEMORY = ":memory:";

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append new
 * steps at the end, never edit a released one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    client TEXT NOT NULL,
    action TEXT NOT NULL,
    argv TEXT,
    result TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    message TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit(at);
  CREATE INDEX audit_user ON audit(user);
  -- The audit log is append-only: the database itself refuses edits, not just the API.
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // Trust: aggregated refusals, the domain of an entry, audited retention, persistent login limits.
  `
  -- One row may stand for several equal refusals: how many, and the time of the last one.
  ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
  ALTER TABLE audit ADD COLUMN last_at INTEGER;
  -- The domain an entry is about (by name), for the audit page's filter.
  ALTER TABLE audit ADD COLUMN domain TEXT;
  CREATE INDEX audit_domain ON audit(domain);

  -- Retention: rows may be deleted only while a permission row is present, and only rows whose
  -- last time is older than its cutoff. The permission cannot outlive the transaction that sets
  -- it: its lease references a table that never holds a row, and the deferred foreign key makes
  -- COMMIT fail while the permission is still there. Revoking it appends the prune's own audit
  -- entry (by trigger), so no prune can go unrecorded.
  CREATE TABLE audit_retention_never (id INTEGER PRIMARY KEY);
  CREATE TRIGGER audit_retention_never_insert BEFORE INSERT ON audit_retention_never
    BEGIN SELECT RAISE(ABORT, 'audit_retention_never stays empty'); END;
  CREATE TABLE audit_retention (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cutoff INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    client TEXT NOT NULL,
    command TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    lease INTEGER NOT NULL DEFAULT 0
      REFERENCES audit_retention_never(id) DEFERRABLE INITIALLY DEFERRED
  );
  -- Whatever the caller asks, the last day stays: the cutoff must be a day before the real now.
  CREATE TRIGGER audit_retention_cutoff BEFORE INSERT ON audit_retention
    WHEN NEW.cutoff > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 86400000
    BEGIN SELECT RAISE(ABORT, 'the retention cutoff must be at least one day ago'); END;
  CREATE TRIGGER audit_retention_no_update BEFORE UPDATE OF cutoff, at, actor, client, command
    ON audit_retention
    BEGIN SELECT RAISE(ABORT, 'a retention permission cannot be changed'); END;
  DROP TRIGGER audit_no_delete;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    WHEN NOT EXISTS (
      SELECT 1 FROM audit_retention WHERE coalesce(OLD.last_at, OLD.at) < cutoff
    )
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_count_pruned AFTER DELETE ON audit
    BEGIN UPDATE audit_retention SET deleted = deleted + 1; END;
  -- The prune's entry: the operating-system user (role 'host': not a blockboard account) and the
  -- command line in the message; argv stays NULL, that column holds virsh calls only.
  CREATE TRIGGER audit_retention_revoked AFTER DELETE ON audit_retention
    BEGIN
      INSERT INTO audit (at, user, role, client, action, argv, result, message)
      VALUES (
        OLD.at, OLD.actor, 'host', OLD.client, 'audit.prune', NULL, 'ok',
        'removed ' || OLD.deleted || ' entries last seen before ' ||
          strftime('%Y-%m-%dT%H:%M:%fZ', OLD.cutoff / 1000.0, 'unixepoch') || ' | ' || OLD.command
      );
    END;

  -- Failed logins, one row each, so a restart does not reset the limits.
  CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    account TEXT NOT NULL,
    client TEXT NOT NULL
  );
  CREATE INDEX login_failures_account ON login_failures(account, at);
  CREATE INDEX login_failures_client ON login_failures(client, at);
  CREATE INDEX login_failures_at ON login_failures(at);
  `,
  // Job history (server/jobs/history.ts): finished block jobs survive a restart.
  `
  CREATE TABLE job_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    domain TEXT NOT NULL,
    target TEXT NOT NULL,
    type TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    phase TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    cur INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    bandwidth INTEGER NOT NULL,
    dest TEXT,
    left_chain TEXT NOT NULL DEFAULT '[]',
    cleaned TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX job_history_disk ON job_history(uuid, target, finished_at);
  CREATE INDEX job_history_domain ON job_history(domain, finished_at);
  `,
  `
  -- Storage moves (server/moves/store.ts): the plan, progress and the files a move created, as
  -- JSON, so a restart resumes or cancels them and finished ones stay listed.
  CREATE TABLE moves (
    id TEXT PRIMARY KEY,
    uuid TEXT NOT NULL,
    domain TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    record TEXT NOT NULL
  );
  CREATE INDEX moves_uuid ON moves(uuid, started_at);
  `,
  // User management in the browser (server/auth/admin.ts): disabled accounts, last login.
  `
  ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
  ALTER TABLE users ADD COLUMN last_login_at INTEGER;
  `,
  // Hosts (server/hosts/): a job and an audit entry name the libvirt host they concern.
  `
  ALTER TABLE job_history ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
  CREATE INDEX job_history_host ON job_history(host, finished_at);
  ALTER TABLE audit ADD COLUMN host TEXT;
  `,
  // Storage moves per host (server/moves/store.ts): each host's engine resumes only its own.
  `
  ALTER TABLE moves ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
  CREATE INDEX moves_host ON moves(host, started_at);
  `,
];

/**
 * Opens (creating if needed) `<dataDir>/blockboard.db`, or an in-memory database when `dataDir`
 * is `":memory:"`, and brings its schema up to date. The directory is created with mode 0700 and
 * the file set to 0600, because it holds password and session hashes.
 */
export function openDatabase(dataDir: string): Database {
  let db: Database;
  if (dataDir === IN_MEMORY) {
    db = new DatabaseSync(IN_MEMORY);
  } else {
    Deno.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, DATABASE_FILE);
    db = new DatabaseSync(file);
    // Password and session hashes: owner-only (SQLite gives the -wal/-shm files the same mode).
    Deno.chmodSync(file, 0o600);
    db.exec("PRAGMA journal_mode = WAL");
  }
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db);
  return db;
}

/** Applies the migrations that have not run yet, each in its own transaction. */
function migrate(db: Database): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  const applied = row.user_version;
  if (applied > MIGRATIONS.length) {
    throw new Error(
      `the database schema (version ${applied}) is newer than this blockboard (version ${MIGRATIONS.length}); upgrade blockboard`,
    );
  }
  for (let version = applied; version < MIGRATIONS.length; version++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[version]);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}

/** The schema version this code writes (number of migrations). */
export const SCHEMA_VERSION = MIGRATIONS.length;
