import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { type CliIo, runUserCli } from "../../server/cli/user.ts";
import { openDatabase } from "../../server/db.ts";
import { TokenStore } from "../../server/auth/tokens.ts";
import { UserStore } from "../../server/auth/users.ts";
import { AuditLog } from "../../server/audit/log.ts";
import { TEST_ITERATIONS } from "./fixture.ts";
import { outputWithInput } from "../support/piped_input.ts";

interface Captured {
  io: CliIo;
  out: string[];
  err: string[];
}

function capture(
  passwords: string[] = [],
  interactive = false,
  env: Record<string, string> = {},
): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      interactive,
      readPassword: () => Promise.resolve(passwords.shift() ?? ""),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: (name) => env[name],
      iterations: TEST_ITERATIONS,
    },
  };
}

async function withDataDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "bb-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cli: add, list, passwd and delete users", async () => {
  await withDataDir(async (dir) => {
    const add = capture(["admin-password"]);
    assertEquals(
      await runUserCli(["add", "alice", "--role", "admin", "--data-dir", dir], add.io),
      0,
    );
    assertEquals(add.out, ["created user alice (admin)"]);

    const db = openDatabase(dir);
    assert(
      await new UserStore(db, { iterations: TEST_ITERATIONS }).verify("alice", "admin-password"),
    );
    db.close();

    const list = capture();
    assertEquals(await runUserCli(["list", "--data-dir", dir], list.io), 0);
    assertMatch(list.out[0], /^alice\tadmin\tcreated \d{4}-/);

    const passwd = capture(["new-password", "new-password"], true);
    assertEquals(await runUserCli(["passwd", "alice", "--data-dir", dir], passwd.io), 0);

    const last = capture();
    assertEquals(await runUserCli(["delete", "alice", "--data-dir", dir], last.io), 1);
    assertStringIncludes(last.err[0], "last admin");
    assertEquals(
      await runUserCli(["delete", "alice", "--force", "--data-dir", dir], capture().io),
      0,
    );
  });
});

Deno.test("cli: the data dir comes from BLOCKBOARD_DATA_DIR when --data-dir is absent", async () => {
  await withDataDir(async (dir) => {
    const add = capture(["viewer-password"], false, { BLOCKBOARD_DATA_DIR: dir });
    assertEquals(await runUserCli(["add", "val", "--role", "viewer"], add.io), 0);
    const db = openDatabase(dir);
    assertEquals(new UserStore(db).get("val")?.role, "viewer");
    db.close();
  });
});

Deno.test("cli: token add prints the token once and it verifies with its role", async () => {
  await withDataDir(async (dir) => {
    const add = capture();
    assertEquals(
      await runUserCli(["token", "add", "ci", "--role", "operator", "--data-dir", dir], add.io),
      0,
    );
    assertEquals(add.out.length, 1);
    const token = add.out[0];
    assertMatch(token, /^bbt_/);
    const db = openDatabase(dir);
    assertEquals(await new TokenStore(db).verify(token), { name: "token:ci", role: "operator" });
    db.close();
    const list = capture();
    await runUserCli(["token", "list", "--data-dir", dir], list.io);
    assert(!list.out.join("\n").includes(token), "list never shows the secret");
    assertMatch(list.out[0], /^ci\toperator\tlast used /);
    assertEquals(await runUserCli(["token", "delete", "ci", "--data-dir", dir], capture().io), 0);
    assertEquals(await runUserCli(["token", "delete", "ci", "--data-dir", dir], capture().io), 1);
  });
});

Deno.test("cli: bad usage exits 2 with a clear message", async () => {
  await withDataDir(async (dir) => {
    const cases: Array<[string[], string]> = [
      [[], "missing command"],
      [["frobnicate"], 'unknown command "frobnicate"'],
      [["add", "alice"], "missing --role"],
      [["add", "alice", "--role", "root"], "role must be one of: viewer, operator, admin"],
      [["add", "--pivot", "--role", "admin"], "Unknown option '--pivot'"],
      [["add", "Bad Name", "--role", "admin"], "user name must start with a lowercase letter"],
      [["add", "alice", "extra", "--role", "admin"], 'unexpected argument "extra"'],
      [["list", "--role", "admin"], "--role only goes with add"],
      [["list", "--force"], "--force only goes with delete"],
      [["token", "add", "ci"], "missing --role"],
      [["token", "zap"], 'unknown command "token zap"'],
      [["add", "alice", "--role", "admin", "--data-dir", ""], "--data-dir needs a directory"],
    ];
    for (const [args, message] of cases) {
      const run = capture(["long-enough-password"]);
      const code = await runUserCli([
        ...args,
        ...(args.includes("--data-dir") ? [] : ["--data-dir", dir]),
      ], run.io);
      assertEquals(code, 2, args.join(" "));
      assertStringIncludes(run.err[0], message, args.join(" "));
      assertStringIncludes(run.err.join("\n"), "Usage:");
    }
    const short = capture(["short"]);
    assertEquals(
      await runUserCli(["add", "alice", "--role", "admin", "--data-dir", dir], short.io),
      2,
    );
    assertEquals(short.err, ["error: password must have at least 8 characters"]);
    const mismatch = capture(["first-password", "other-password"], true);
    assertEquals(
      await runUserCli(["add", "alice", "--role", "admin", "--data-dir", dir], mismatch.io),
      2,
    );
    assertEquals(mismatch.err, ["error: the passwords differ"]);
  });
});

Deno.test("cli: a real process reads the password from piped stdin", async () => {
  await withDataDir(async (dir) => {
    const result = await outputWithInput(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "server/cli/user.ts",
        "add",
        "piped",
        "--role",
        "operator",
        "--data-dir",
        dir,
      ],
      cwd: new URL("../../", import.meta.url),
    }, "piped-password\n");
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "created user piped (operator)\n");
    const db = openDatabase(dir);
    assert(await new UserStore(db).verify("piped", "piped-password"));
    db.close();

    const usage = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "server/cli/user.ts", "nope"],
      cwd: new URL("../../", import.meta.url),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(usage.code, 2);
  });
});

Deno.test("cli: changes follow the admin rules and are audited under the host user", async () => {
  await withDataDir(async (dir) => {
    const env = { USER: "root", SUDO_USER: "alice" };
    const add = capture(["admin-password"], false, env);
    assertEquals(
      await runUserCli(["add", "boss", "--role", "admin", "--data-dir", dir], add.io),
      0,
    );
    const refused = capture([], false, env);
    assertEquals(await runUserCli(["delete", "boss", "--data-dir", dir], refused.io), 1);
    assertStringIncludes(refused.err[0], "boss is the last admin left enabled");
    const db = openDatabase(dir);
    try {
      const rows = new AuditLog(db).query({ limit: 10 }).entries.reverse()
        .map((e) => `${e.user} ${e.role} ${e.action} ${e.result}: ${e.message}`);
      assertEquals(rows, [
        "alice host user.add ok: added boss (admin)",
        "alice host user.delete refused: boss: boss is the last admin left enabled and cannot be deleted; make another user an admin first",
      ]);
    } finally {
      db.close();
    }
  });
});
