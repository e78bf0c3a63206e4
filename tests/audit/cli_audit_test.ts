import { assert, assertEquals, assertMatch } from "@std/assert";
import { type AuditCliIo, runAuditCli } from "../../server/cli/audit.ts";
import { AuditLog } from "../../server/audit/log.ts";
import { openDatabase } from "../../server/db.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: AuditCliIo = {
    out: (l) => void out.push(l),
    err: (l) => void err.push(l),
    env: (n) => env[n],
    now: () => NOW,
    hostname: () => "hv1",
  };
  return { cli, out, err };
}

/** A data directory with entries 200, 120, 91, 89 and 1 days before `now`. */
async function seeded(now = NOW) {
  const dir = await Deno.makeTempDir({ prefix: "bb-audit-cli-" });
  const db = openDatabase(dir);
  for (const age of [200, 120, 91, 89, 1]) {
    new AuditLog(db, { now: () => now - age * DAY }).record({
      user: "alice",
      role: "operator",
      client: "c",
      action: `aged ${age}d`,
      result: "ok",
    });
  }
  db.close();
  return dir;
}

Deno.test("audit cli: prune --older-than 90d removes older entries and records the prune", async () => {
  const dir = await seeded();
  try {
    const { cli, out, err } = io({ SUDO_USER: "admin1" });
    assertEquals(
      runAuditCli(["prune", "--older-than", "90d", "--data-dir", dir], cli),
      0,
      err.join(),
    );
    assertEquals(out, ["removed 3 audit entries last seen before 2026-03-03T00:00:00.000Z"]);
    const db = openDatabase(dir);
    const { entries } = new AuditLog(db).query();
    db.close();
    assertEquals(entries.map((e) => e.action), ["audit.prune", "aged 1d", "aged 89d"]);
    assertEquals(entries[0].user, "admin1");
    assertEquals(entries[0].client, "hv1");
    assertEquals(entries[0].argv, null);
    assertEquals(
      entries[0].message,
      "removed 3 entries last seen before 2026-03-03T00:00:00.000Z | " +
        `deno task audit prune --older-than 90d --data-dir ${dir}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit cli: bad usage exits 2 and changes nothing", async () => {
  const dir = await seeded();
  try {
    for (
      const [args, message] of [
        [["prune"], /missing --older-than/],
        [["prune", "--older-than", "90"], /takes days/],
        [["prune", "--older-than", "0d"], /at least 1d/],
        [["prune", "--older-than", "-5d"], /takes days|argument/],
        [["prune", "extra", "--older-than", "9d"], /unexpected argument/],
        [["delete", "--older-than", "9d"], /unknown command/],
        [[], /missing command/],
        [["prune", "--older-than", "9d", "--data-dir", " "], /needs a directory/],
        [["prune", "--bogus"], /bogus/],
      ] as const
    ) {
      const { cli, err } = io();
      const given: readonly string[] = args;
      const full = given.includes("--data-dir") ? [...given] : [...given, "--data-dir", dir];
      assertEquals(runAuditCli(full, cli), 2, args.join(" "));
      assertMatch(err[0], message, args.join(" "));
    }
    const db = openDatabase(dir);
    assertEquals(new AuditLog(db).query().total, 5);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit cli: `deno task audit prune` runs from the shell", async () => {
  const dir = await seeded(Date.now());
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "audit", "prune", "--older-than", "100d"],
      env: { BLOCKBOARD_DATA_DIR: dir, NO_COLOR: "1" },
      cwd: new URL("../..", import.meta.url).pathname,
    }).output();
    const stdout = new TextDecoder().decode(result.stdout);
    assertEquals(result.code, 0, new TextDecoder().decode(result.stderr));
    assertMatch(stdout, /^removed 2 audit entries last seen before /);
    const db = openDatabase(dir);
    const { entries } = new AuditLog(db).query();
    db.close();
    assert(entries.some((e) => e.action === "audit.prune"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
