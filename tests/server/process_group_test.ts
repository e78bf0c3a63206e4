import { assert, assertEquals, assertThrows } from "@std/assert";
import { killProcessGroup, spawnInOwnGroup } from "../../server/process_group.ts";

Deno.test("spawnInOwnGroup: the child leads its own group; killProcessGroup ends the whole group", async () => {
  // `timeout` forks `sleep` as its own child: only a group kill ends both at once.
  const child = spawnInOwnGroup("timeout", ["30", "sleep", "30"], () => new Error("no setsid"));
  const groupOf = async (pid: number) =>
    Number((await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ")[2]);
  let pgid = 0;
  for (let i = 0; i < 100 && pgid !== child.pid; i++) {
    pgid = await groupOf(child.pid);
    if (pgid !== child.pid) await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals(pgid, child.pid);
  let sleeper = 0;
  for (let i = 0; i < 100 && !sleeper; i++) {
    const kids = await Deno.readTextFile(`/proc/${child.pid}/task/${child.pid}/children`).catch(
      () => "",
    );
    sleeper = Number(kids.trim().split(" ")[0]) || 0;
    if (!sleeper) await new Promise((r) => setTimeout(r, 20));
  }
  assert(sleeper > 0, "timeout started sleep");
  killProcessGroup(child);
  const status = await child.status;
  assertEquals(status.signal, "SIGKILL");
  await child.stdout.cancel();
  await child.stderr.cancel();
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    const stat = await Deno.readTextFile(`/proc/${sleeper}/stat`).catch(() => null);
    gone = stat === null || stat.split(") ")[1].startsWith("Z");
    if (!gone) await new Promise((r) => setTimeout(r, 20));
  }
  assert(gone, "the grandchild died with the group");
  killProcessGroup(child); // an exited child: no throw
});

Deno.test("spawnInOwnGroup: runs with LC_ALL=C, no shell (an argument stays one word)", async () => {
  const child = spawnInOwnGroup("printf", ["%s|", "a b", "$HOME", "LC_ALL"], () => new Error("x"));
  const out = await child.output();
  assertEquals(new TextDecoder().decode(out.stdout), "a b|$HOME|LC_ALL|");
  const env = await spawnInOwnGroup("printenv", ["LC_ALL"], () => new Error("x")).output();
  assertEquals(new TextDecoder().decode(env.stdout), "C\n");
});

Deno.test("spawnInOwnGroup: without setsid on PATH, throws the caller's error", () => {
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", "/nonexistent-bbrv");
  try {
    assertThrows(
      () => spawnInOwnGroup("sleep", ["1"], () => new RangeError("setsid is missing")),
      RangeError,
      "setsid is missing",
    );
  } finally {
    Deno.env.set("PATH", path);
  }
});
