import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError, parseConfig } from "../../server/config.ts";

Deno.test("defaults: loopback, 8080, qemu:///system", () => {
  const r = parseConfig([], {});
  assertEquals(r.help, false);
  if (!r.help) {
    assertEquals(r.config.host, "127.0.0.1");
    assertEquals(r.config.port, 8080);
    assertEquals(r.config.connect, "qemu:///system");
  }
});

Deno.test("flags win over environment", () => {
  const r = parseConfig(["--port", "9000"], {
    PORT: "7000",
    HOST: "0.0.0.0",
    LIBVIRT_DEFAULT_URI: "qemu:///session",
  });
  if (r.help) throw new Error("unexpected help");
  assertEquals(r.config.port, 9000);
  assertEquals(r.config.host, "0.0.0.0");
  assertEquals(r.config.connect, "qemu:///session");
});

Deno.test("bad values name the flag and the reason", () => {
  assertThrows(
    () => parseConfig(["--port", "70000"], {}),
    ConfigError,
    '--port/PORT "70000" must be 1-65535',
  );
  assertThrows(() => parseConfig([], { PORT: "abc" }), ConfigError, "PORT");
  assertThrows(
    () => parseConfig(["--connect", "qemu:///system; rm"], {}),
    ConfigError,
    "libvirt URI",
  );
  assertThrows(() => parseConfig(["--bogus"], {}), ConfigError, "bogus");
  assertThrows(() => parseConfig(["--host", "a b"], {}), ConfigError, "--host");
});

Deno.test("--help asks for the usage text", () => {
  assertEquals(parseConfig(["--help"], {}).help, true);
});

Deno.test("main exits 2 with a message on a bad value", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, "--port", "0"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(err.includes('--port/PORT "0" must be 1-65535'), true, err);
});
