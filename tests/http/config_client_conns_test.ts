import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError, parseConfig } from "../../server/config.ts";

function conns(args: string[], env: Record<string, string> = {}): number {
  const r = parseConfig(args, env);
  if (r.help) throw new Error("unexpected help");
  return r.config.clientConnections;
}

Deno.test("--client-conns: default 32, the variable, the flag wins, bad values named", () => {
  assertEquals(conns([]), 32);
  assertEquals(conns([], { BLOCKBOARD_CLIENT_CONNS: "8" }), 8);
  assertEquals(conns(["--client-conns", "100"], { BLOCKBOARD_CLIENT_CONNS: "8" }), 100);
  assertThrows(() => conns(["--client-conns", "0"]), ConfigError, "--client-conns");
  assertThrows(() => conns(["--client-conns", "x"]), ConfigError, "must be a number");
});
