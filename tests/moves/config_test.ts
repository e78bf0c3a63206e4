import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError, parseConfig, USAGE } from "../../server/config.ts";

const config = (args: string[], env: Record<string, string> = {}) => {
  const r = parseConfig(args, env);
  if (r.help) throw new Error("unexpected help");
  return r.config;
};

Deno.test("move queue flags: defaults, flags, environment, flag wins", () => {
  assertEquals([config([]).maxMoves, config([]).bandwidthBudget], [1, null]);
  assertEquals(config(["--max-moves", "3"]).maxMoves, 3);
  assertEquals(config([], { BLOCKBOARD_MAX_MOVES: "2" }).maxMoves, 2);
  assertEquals(config(["--max-moves", "4"], { BLOCKBOARD_MAX_MOVES: "2" }).maxMoves, 4);
  assertEquals(config(["--bandwidth-budget", "104857600"]).bandwidthBudget, 104857600);
  assertEquals(config([], { BLOCKBOARD_BANDWIDTH_BUDGET: "1048576" }).bandwidthBudget, 1048576);
  assertEquals(config([], { BLOCKBOARD_BANDWIDTH_BUDGET: " " }).bandwidthBudget, null);
});

Deno.test("move queue flags: bad values name the flag", () => {
  for (
    const [args, env, label] of [
      [["--max-moves", "0"], {}, '--max-moves/BLOCKBOARD_MAX_MOVES "0"'],
      [["--max-moves", "1.5"], {}, "must be a whole number"],
      [[], { BLOCKBOARD_MAX_MOVES: "many" }, "must be a number"],
      [["--max-moves", "65"], {}, "--max-moves"],
      [["--bandwidth-budget", "0"], {}, '--bandwidth-budget/BLOCKBOARD_BANDWIDTH_BUDGET "0"'],
      [["--bandwidth-budget", "10M"], {}, "must be a number"],
      [[], { BLOCKBOARD_BANDWIDTH_BUDGET: "-5" }, "BLOCKBOARD_BANDWIDTH_BUDGET"],
    ] as [string[], Record<string, string>, string][]
  ) {
    assertThrows(() => parseConfig(args, env), ConfigError, label);
  }
});

Deno.test("the usage names both flags and their variables", () => {
  for (
    const word of [
      "--max-moves",
      "BLOCKBOARD_MAX_MOVES",
      "--bandwidth-budget",
      "BLOCKBOARD_BANDWIDTH_BUDGET",
    ]
  ) {
    assertStringIncludes(USAGE, word);
  }
});
