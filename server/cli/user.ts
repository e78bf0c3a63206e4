/**
 * Manage users and API tokens from the host's shell:
 *
 * ```
 * deno run -A server/cli/user.ts add NAME --role admin [--data-dir DIR]   # password from stdin or prompt
 * deno run -A server/cli/user.ts list | delete NAME [--force] | passwd NAME
 * deno run -A server/cli/user.ts token add NAME --role operator          # prints the token once
 * deno run -A server/cli/user.ts token list | token delete NAME
 * ```
 *
 * Exit codes: 0 done, 1 refused (exists, not found...), 2 bad usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_DATA_DIR, openDatabase } from "../db.ts";
import { roleSchema } from "../auth/roles.ts";
import { tokenNameSchema, TokenStore } from "../auth/tokens.ts";
import { passwordSchema, UserError, userNameSchema, UserStore } from "../auth/users.ts";
import { AccountAdmin, type Actor } from "../auth/admin.ts";
import { SessionStore } from "../auth/sessions.ts";
import { AuditLog } from "../audit/log.ts";

/** Environment variable naming the data directory. */
export const DATA_DIR_VARIABLE = "BLOCKBOARD_DATA_DIR";

/** Usage text, printed with `--help` and after usage errors. */
export const USAGE = `Usage: deno task user COMMAND [--data-dir DIR]

  add NAME --role viewer|operator|admin   create a user; the password is read from stdin
                                          (first line) or prompted for without echo
  passwd NAME                             set a new password (ends the user's sessions)
  list                                    list users
  delete NAME [--force]                   delete a user (--force: even the last admin)
  token add NAME --role ROLE              create an API token and print it once
  token list                              list API tokens
  token delete NAME                       delete an API token

The data directory is --data-dir, else $${DATA_DIR_VARIABLE}, else ${DEFAULT_DATA_DIR}.`;

/** Where the CLI reads and writes; replaced in tests. */
export interface CliIo {
  /** Reads a password; `prompt` is shown when interactive. */
  readPassword(prompt: string): Promise<string>;
  /** True when passwords are typed (so they are asked twice). */
  interactive: boolean;
  out(line: string): void;
  err(line: string): void;
  env(name: string): string | undefined;
  /** This machine's name, recorded as the client of the audit entries. */
  hostname?(): string;
  /** PBKDF2 iterations for new hashes; only tests set it. */
  iterations?: number;
}

/** Thrown for bad usage (exit code 2). */
class UsageError extends Error {}

const commandSchema = z.discriminatedUnion("command", [
  z.object({ command: z.literal("add"), name: userNameSchema, role: roleSchema }),
  z.object({ command: z.literal("passwd"), name: userNameSchema }),
  z.object({ command: z.literal("list") }),
  z.object({ command: z.literal("delete"), name: z.string().min(1), force: z.boolean() }),
  z.object({ command: z.literal("token-add"), name: tokenNameSchema, role: roleSchema }),
  z.object({ command: z.literal("token-list") }),
  z.object({ command: z.literal("token-delete"), name: z.string().min(1) }),
]);

type Command = z.infer<typeof commandSchema>;

/** Runs the CLI with `args` (without the program name); resolves to the exit code. */
export async function runUserCli(args: string[], io: CliIo): Promise<number> {
  let command: Command;
  let dataDir: string;
  try {
    const parsed = parseCommandLine(args);
    if (parsed === "help") {
      io.out(USAGE);
      return 0;
    }
    ({ command, dataDir } = parsed);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`error: ${error.message}`);
    io.err(USAGE);
    return 2;
  }
  dataDir ||= io.env(DATA_DIR_VARIABLE) || DEFAULT_DATA_DIR;

  const db = openDatabase(dataDir);
  const audit = new AuditLog(db);
  try {
    return await execute(command, { db, io, audit });
  } catch (error) {
    if (error instanceof UserError) {
      io.err(`error: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    audit.close();
    db.close();
  }
}

async function execute(
  command: Command,
  { db, io, audit }: { db: ReturnType<typeof openDatabase>; io: CliIo; audit: AuditLog },
): Promise<number> {
  const users = new UserStore(db, { iterations: io.iterations });
  // The environment token is irrelevant here; the store only manages stored tokens.
  const tokens = new TokenStore(db);
  // The same rules as the admin pages, audited under the host's user (role `host`).
  const admin = new AccountAdmin({ users, tokens, sessions: new SessionStore(db), audit });
  const actor: Actor = {
    user: io.env("SUDO_USER") || io.env("USER") || "unknown",
    role: "host",
    client: io.hostname?.() ?? "",
  };
  switch (command.command) {
    case "add": {
      if (users.get(command.name)) {
        throw new UserError("exists", `user ${command.name} already exists`);
      }
      const password = await askPassword(io, command.name);
      if (password === null) return 2;
      await admin.addUser(actor, { name: command.name, role: command.role, password });
      io.out(`created user ${command.name} (${command.role})`);
      return 0;
    }
    case "passwd": {
      if (!users.get(command.name)) {
        throw new UserError("not-found", `no user named ${command.name}`);
      }
      const password = await askPassword(io, command.name);
      if (password === null) return 2;
      await admin.resetPassword(actor, command.name, { password });
      io.out(`password of ${command.name} changed; their sessions were ended`);
      return 0;
    }
    case "list": {
      const all = admin.listUsers();
      if (all.length === 0) io.out("no users");
      for (const user of all) {
        const disabled = user.disabled ? "\tdisabled" : "";
        io.out(
          `${user.name}\t${user.role}\tcreated ${
            new Date(user.createdAt).toISOString()
          }${disabled}`,
        );
      }
      return 0;
    }
    case "delete":
      await admin.deleteUser(actor, command.name, { force: command.force });
      io.out(`deleted user ${command.name}`);
      return 0;
    case "token-add": {
      const created = await admin.createToken(actor, { name: command.name, role: command.role });
      io.err(`created token ${command.name} (${command.role}); it is shown only this once:`);
      io.out(created.token);
      return 0;
    }
    case "token-list": {
      const all = admin.listTokens();
      if (all.length === 0) io.out("no tokens");
      for (const token of all) {
        const used = token.lastUsedAt === null
          ? "never used"
          : `last used ${new Date(token.lastUsedAt).toISOString()}`;
        io.out(`${token.name}\t${token.role}\t${used}`);
      }
      return 0;
    }
    case "token-delete":
      await admin.revokeToken(actor, command.name);
      io.out(`deleted token ${command.name}`);
      return 0;
  }
}

/** Reads and validates a password (twice when typed); null after printing why it is unusable. */
async function askPassword(io: CliIo, name: string): Promise<string | null> {
  const password = await io.readPassword(`Password for ${name}: `);
  const valid = passwordSchema.safeParse(password);
  if (!valid.success) {
    io.err(`error: ${valid.error.issues[0].message}`);
    return null;
  }
  if (io.interactive) {
    const again = await io.readPassword("Repeat the password: ");
    if (again !== password) {
      io.err("error: the passwords differ");
      return null;
    }
  }
  return password;
}

function parseCommandLine(args: string[]): "help" | { command: Command; dataDir: string } {
  let values: { role?: string; "data-dir"?: string; force?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        role: { type: "string" },
        "data-dir": { type: "string" },
        force: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const [first, second, third, ...rest] = positionals;
  let raw: Record<string, unknown>;
  let extra: string[];
  if (first === "token") {
    raw = { command: `token-${second ?? ""}`, name: third, role: values.role };
    extra = rest;
  } else {
    raw = { command: first, name: second, role: values.role, force: values.force ?? false };
    extra = third === undefined ? [] : [third, ...rest];
  }
  if (first === undefined) throw new UsageError("missing command");
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const expectsRole = raw.command === "add" || raw.command === "token-add";
  if (!expectsRole && values.role !== undefined) {
    throw new UsageError("--role only goes with add and token add");
  }
  if (values.force !== undefined && raw.command !== "delete") {
    throw new UsageError("--force only goes with delete");
  }
  const dataDir = values["data-dir"] ?? "";
  if (values["data-dir"] !== undefined && dataDir.trim() === "") {
    throw new UsageError("--data-dir needs a directory");
  }
  const command = commandSchema.safeParse(raw);
  if (!command.success) {
    const issue = command.error.issues[0];
    const field = issue.path.join(".");
    if (field === "command") {
      throw new UsageError(`unknown command ${describeCommand(first, second)}`);
    }
    if (raw[field] === undefined) {
      throw new UsageError(`missing ${field === "role" ? "--role" : field}`);
    }
    throw new UsageError(issue.message);
  }
  return { command: command.data, dataDir };
}

function describeCommand(first: string, second: string | undefined): string {
  return JSON.stringify(first === "token" ? `token ${second ?? ""}`.trim() : first);
}

/** Reads the whole of stdin and returns its first line (a piped password). */
async function readPipedPassword(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.split(/\r?\n/)[0];
}

/** Prompts on stderr and reads a line from the terminal with echo off. */
async function promptWithoutEcho(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  await Deno.stderr.write(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buffer = new Uint8Array(1);
  try {
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      const byte = buffer[0];
      if (byte === 0x0d || byte === 0x0a) break;
      if (byte === 0x03) throw new Error("interrupted");
      if (byte === 0x7f || byte === 0x08) bytes.pop();
      else bytes.push(byte);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The real terminal/stdin/stdout. */
export function denoIo(): CliIo {
  const interactive = Deno.stdin.isTerminal();
  let piped: Promise<string> | undefined;
  return {
    interactive,
    readPassword: (prompt) => {
      if (interactive) return promptWithoutEcho(prompt);
      piped ??= readPipedPassword();
      return piped;
    },
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: (name) => Deno.env.get(name),
    hostname: () => Deno.hostname(),
  };
}

if (import.meta.main) {
  Deno.exit(await runUserCli(Deno.args, denoIo()));
}
