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

Deno.test("security options: data dir, allowed hosts, storage roots, TLS", () => {
  const r = parseConfig(
    ["--allowed-host", "hv.lan", "--allowed-host", "10.0.0.5:8443", "--storage-root", "/srv/vm"],
    {
      BLOCKBOARD_DATA_DIR: "/var/lib/blockboard",
      BLOCKBOARD_ALLOWED_HOSTS: "ignored.example",
      BLOCKBOARD_TLS_CERT: "/etc/bb/cert.pem",
      BLOCKBOARD_TLS_KEY: "/etc/bb/key.pem",
    },
  );
  if (r.help) throw new Error("unexpected help");
  assertEquals(r.config.dataDir, "/var/lib/blockboard");
  assertEquals(r.config.allowedHosts, ["hv.lan", "10.0.0.5:8443"]);
  assertEquals(r.config.storageRoots, ["/srv/vm"]);
  assertEquals(r.config.tls, { certFile: "/etc/bb/cert.pem", keyFile: "/etc/bb/key.pem" });
});

Deno.test("security options: environment lists and defaults", () => {
  const r = parseConfig([], {
    BLOCKBOARD_ALLOWED_HOSTS: "a.lan, b.lan:9000",
    BLOCKBOARD_STORAGE_ROOTS: "/srv/a:/srv/b",
  });
  if (r.help) throw new Error("unexpected help");
  assertEquals(r.config.allowedHosts, ["a.lan", "b.lan:9000"]);
  assertEquals(r.config.storageRoots, ["/srv/a", "/srv/b"]);
  assertEquals(r.config.dataDir, "./data");
  assertEquals(r.config.tls, null);
  const d = parseConfig([], {});
  if (d.help) throw new Error("unexpected help");
  assertEquals(d.config.storageRoots, null);
  assertEquals(d.config.allowedHosts, []);
});

Deno.test("security options: bad values are refused with the flag's name", () => {
  assertThrows(() => parseConfig(["--storage-root", "relative/dir"], {}), ConfigError, "absolute");
  assertThrows(() => parseConfig(["--storage-root", "/srv/../etc"], {}), ConfigError, "'..'");
  assertThrows(
    () => parseConfig([], { BLOCKBOARD_ALLOWED_HOSTS: "evil host" }),
    ConfigError,
    "--allowed-host",
  );
  assertThrows(() => parseConfig(["--tls-cert", "/c.pem"], {}), ConfigError, "together");
  assertThrows(() => parseConfig(["--data-dir", ""], {}), ConfigError, "--data-dir");
});

Deno.test("virsh sessions: 2 by default, 0 means one virsh per call, bad values named", () => {
  const byDefault = parseConfig([], {});
  const off = parseConfig(["--virsh-sessions", "0"], {});
  const fromEnv = parseConfig([], { BLOCKBOARD_VIRSH_SESSIONS: "4" });
  if (byDefault.help || off.help || fromEnv.help) throw new Error("unexpected help");
  assertEquals(
    [byDefault.config.virshSessions, off.config.virshSessions, fromEnv.config.virshSessions],
    [2, 0, 4],
  );
  assertThrows(
    () => parseConfig(["--virsh-sessions=-1"], {}),
    ConfigError,
    "--virsh-sessions/BLOCKBOARD_VIRSH_SESSIONS",
  );
  assertThrows(() => parseConfig([], { BLOCKBOARD_VIRSH_SESSIONS: "65" }), ConfigError);
});
