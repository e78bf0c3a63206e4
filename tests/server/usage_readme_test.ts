/**
 * `--help` (USAGE in server/config.ts), the README's option tables, the parser and the service's
 * example configuration (deploy/blockboard.env) name the same flags and environment variables. A
 * flag added in one place only fails here, saying where it is missing.
 */
import { assert, assertEquals } from "@std/assert";
import { ConfigError, parseConfig, USAGE } from "../../server/config.ts";

const ROOT = new URL("../../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));
const ENV_FILE = await Deno.readTextFile(new URL("deploy/blockboard.env", ROOT));

/** Flags and variables a text names. */
interface Names {
  flags: Set<string>;
  variables: Set<string>;
}

/**
 * USAGE: a flag is `--name` at the start of an option line; a variable is an upper-case word
 * that is either namespaced (holds `_`: `BLOCKBOARD_DATA_DIR`) or a flag's own name in capitals
 * (`HOST` for `--host`), so metavariables (`ADDR`, `FILE`) and words (`PEM`) are not taken.
 */
export function usageNames(usage: string): Names {
  const flags = new Set([...usage.matchAll(/^\s+(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]));
  const variables = new Set<string>();
  for (const [word] of usage.matchAll(/\b[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)) {
    if (word.includes("_") || flags.has(`--${word.toLowerCase()}`)) variables.add(word);
  }
  return { flags, variables };
}

/** README: every table whose header is `| flag | environment | ...`; backticked cells. */
export function readmeNames(readme: string): Names {
  const flags = new Set<string>();
  const variables = new Set<string>();
  let inTable = false;
  for (const line of readme.split("\n")) {
    if (!line.startsWith("|")) {
      inTable = false;
      continue;
    }
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (/^flag$/i.test(cells[0]) && /^environment/i.test(cells[1] ?? "")) {
      inTable = true;
      continue;
    }
    // Rows of other tables, and the header's separator row.
    if (!inTable || cells.every((c) => /^:?-*:?$/.test(c))) continue;
    for (const [, flag] of cells[0].matchAll(/`(--[a-z][a-z0-9-]*)/g)) flags.add(flag);
    for (const [, name] of (cells[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*)`/g)) variables.add(name);
  }
  return { flags, variables };
}

/** The example configuration: `NAME=` lines, commented out or not. */
function envFileNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
}

const missing = (from: Set<string>, to: Set<string>) => [...from].filter((x) => !to.has(x)).sort();

Deno.test("the name extractors read what they should (table test)", () => {
  const usage = usageNames(`Usage: x
  --host ADDR   address                HOST (default 1)
  --tls-cert FILE  PEM certificate BLOCKBOARD_TLS_CERT
  --help
Then: blockboard user add NAME (or set BLOCKBOARD_TOKEN)
`);
  assertEquals([...usage.flags].sort(), ["--help", "--host", "--tls-cert"]);
  assertEquals([...usage.variables].sort(), ["BLOCKBOARD_TLS_CERT", "BLOCKBOARD_TOKEN", "HOST"]);
  const readme = readmeNames(`text
| flag | environment | default |
| ---- | ----------- | ------- |
| \`--port N\` | \`PORT\` | 8080 |
|  | \`BLOCKBOARD_TOKEN\` | |

| other | table |
| \`--not-this\` | \`NOT_THIS\` |
`);
  assertEquals([...readme.flags], ["--port"]);
  assertEquals([...readme.variables].sort(), ["BLOCKBOARD_TOKEN", "PORT"]);
});

Deno.test("--help and the README's option tables name the same flags and variables", () => {
  const usage = usageNames(USAGE);
  const readme = readmeNames(README);
  assert(usage.flags.size >= 10 && readme.flags.size >= 10, "too few flags found: parser broken?");
  const problems = [
    ...missing(usage.flags, readme.flags).map((f) =>
      `flag ${f} is in --help (USAGE, server/config.ts) but in no README option table`
    ),
    ...missing(readme.flags, usage.flags).map((f) =>
      `flag ${f} is in a README option table but not in --help (USAGE, server/config.ts)`
    ),
    ...missing(usage.variables, readme.variables).map((v) =>
      `variable ${v} is in --help (USAGE, server/config.ts) but in no README option table`
    ),
    ...missing(readme.variables, usage.variables).map((v) =>
      `variable ${v} is in a README option table but not in --help (USAGE, server/config.ts)`
    ),
  ];
  assertEquals(problems, []);
});

Deno.test("every flag --help lists is one the parser takes", () => {
  for (const flag of usageNames(USAGE).flags) {
    if (flag === "--help") continue;
    try {
      parseConfig([flag, "1"], {});
    } catch (e) {
      // A bad value is fine here; an unknown option is not.
      assert(e instanceof ConfigError, String(e));
      assert(
        !/unknown option/i.test(e.message),
        `--help lists ${flag} but parseConfig does not take it: ${e.message}`,
      );
    }
  }
});

Deno.test("every variable the parser reads is in --help", () => {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_, key) {
      if (typeof key === "string") read.add(key);
      return undefined;
    },
  });
  parseConfig([], env);
  const usage = usageNames(USAGE).variables;
  const unlisted = missing(read, usage);
  assertEquals(
    unlisted,
    [],
    `parseConfig reads ${unlisted.join(", ")}, which --help does not name`,
  );
});

Deno.test("the service's example configuration (deploy/blockboard.env) has every variable", () => {
  const inFile = envFileNames(ENV_FILE);
  const usage = usageNames(USAGE).variables;
  assertEquals(
    missing(usage, inFile).map((v) =>
      `variable ${v} is in --help but not in deploy/blockboard.env`
    ),
    [],
  );
  assertEquals(
    missing(inFile, usage).map((v) =>
      `deploy/blockboard.env sets ${v}, which --help does not name`
    ),
    [],
  );
});
