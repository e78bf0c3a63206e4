import { assert, assertEquals } from "@std/assert";
import { parseFileLimit } from "../../server/http/fd_limit.ts";
import { totalForDescriptorLimit } from "../../server/http/front_door.ts";

Deno.test("parses /proc limits and sizes the connection cap from them", () => {
  const text = "Limit                     Soft Limit           Hard Limit           Units\n" +
    "Max cpu time              unlimited            unlimited            seconds\n" +
    "Max open files            1024                 524288               files\n";
  assertEquals(parseFileLimit(text), { soft: 1024, hard: 524288 });
  assertEquals(parseFileLimit("nothing"), null);
  assertEquals(totalForDescriptorLimit(1024), 256);
  assertEquals(totalForDescriptorLimit(1024, true), 153);
  assert(totalForDescriptorLimit(100) >= 16);
});

Deno.test("the server raises its soft open-file limit to the hard one at start", async () => {
  // A child started with soft 256 / hard 1024 reports what it runs with after raising.
  const code = `import { raiseFileLimit } from "${
    new URL("../../server/http/fd_limit.ts", import.meta.url).href
  }"; console.log(JSON.stringify((await raiseFileLimit()).limit));`;
  const out = await new Deno.Command("prlimit", {
    args: ["--nofile=256:1024", Deno.execPath(), "eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assertEquals(JSON.parse(text), { soft: 1024, hard: 1024 }, new TextDecoder().decode(out.stderr));
});
