/** `--metrics-token`, `--webhook` and `--webhook-secret`: flags, variables, refusals. */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError, parseConfig, USAGE } from "../../server/config.ts";

const TOKEN = "m".repeat(24);
const SECRET = "s".repeat(16);

function config(args: string[], env: Record<string, string> = {}) {
  const r = parseConfig(args, env);
  if (r.help) throw new Error("help");
  return r.config;
}

Deno.test("metrics token and webhooks are off by default", () => {
  const c = config([]);
  assertEquals(c.metricsToken, null);
  assertEquals(c.webhooks, null);
});

Deno.test("metrics token: flag or variable, at least 24 characters, never echoed", () => {
  assertEquals(config(["--metrics-token", TOKEN]).metricsToken, TOKEN);
  assertEquals(config([], { BLOCKBOARD_METRICS_TOKEN: TOKEN }).metricsToken, TOKEN);
  assertEquals(config([], { BLOCKBOARD_METRICS_TOKEN: "" }).metricsToken, null);
  const e = assertThrows(() => config(["--metrics-token", "short-secret"]), ConfigError);
  assertStringIncludes(e.message, "--metrics-token/BLOCKBOARD_METRICS_TOKEN");
  assertStringIncludes(e.message, "at least 24");
  assertEquals(e.message.includes("short-secret"), false);
  assertThrows(() => config(["--metrics-token", `${TOKEN} x`]), ConfigError, "printable");
});

Deno.test("webhooks: repeatable flag or comma-separated variable, with a secret", () => {
  assertEquals(
    config([
      "--webhook",
      "https://a.example/h",
      "--webhook",
      "http://127.0.0.1:9/x",
      "--webhook-secret",
      SECRET,
    ])
      .webhooks,
    { urls: ["https://a.example/h", "http://127.0.0.1:9/x"], secret: SECRET },
  );
  assertEquals(
    config([], {
      BLOCKBOARD_WEBHOOKS: "https://a.example/h, https://b.example/h",
      BLOCKBOARD_WEBHOOK_SECRET: SECRET,
    }).webhooks,
    { urls: ["https://a.example/h", "https://b.example/h"], secret: SECRET },
  );
  assertThrows(
    () => config(["--webhook", "https://a.example/h"]),
    ConfigError,
    "--webhook needs --webhook-secret",
  );
  assertThrows(
    () => config(["--webhook", "ftp://a.example/h", "--webhook-secret", SECRET]),
    ConfigError,
    "http:// or https://",
  );
  const e = assertThrows(
    () => config(["--webhook", "https://a.example/h", "--webhook-secret", "tooshort"]),
    ConfigError,
  );
  assertStringIncludes(e.message, "at least 16");
  assertEquals(e.message.includes("tooshort"), false);
});

Deno.test("USAGE names the new flags and their variables", () => {
  for (
    const word of [
      "--metrics-token",
      "BLOCKBOARD_METRICS_TOKEN",
      "--webhook URL",
      "BLOCKBOARD_WEBHOOKS",
      "--webhook-secret",
      "BLOCKBOARD_WEBHOOK_SECRET",
    ]
  ) {
    assertStringIncludes(USAGE, word);
  }
});
