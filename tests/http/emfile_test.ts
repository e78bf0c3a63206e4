import { assert, assertEquals } from "@std/assert";

Deno.test("accept() failing with EMFILE pauses the front door; it serves again afterwards", async () => {
  const child = new URL("./emfile_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command("prlimit", {
    args: ["--nofile=160:160", Deno.execPath(), "run", "--allow-all", child],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const stats = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert(stats.acceptErrors > 0, `accept never failed: ${stdout}`);
  assertEquals(stats.status, 200, stdout);
});
