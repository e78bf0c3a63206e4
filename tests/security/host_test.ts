import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Hono } from "hono";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import type { AppEnv } from "../../server/env.ts";
import { allowedHosts, hostAllowlist } from "../../server/security/host.ts";

const defaults = allowedHosts({
  listenHost: "192.168.1.20",
  port: 8080,
  machineHostname: "HyperVisor",
  interfaceAddresses: [],
});

function app(allowed = defaults) {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  app.use(hostAllowlist({ allowed }));
  app.all("*", (c) => c.text("reached"));
  return app;
}

Deno.test("host: defaults are the listen address, localhost, 127.0.0.1, [::1] and the hostname", () => {
  assertEquals([...defaults].sort(), [
    "127.0.0.1:8080",
    "192.168.1.20:8080",
    "[::1]:8080",
    "hypervisor:8080",
    "localhost:8080",
  ]);
});

Deno.test("host: wildcard listening uses the interface addresses; --allowed-host adds names", () => {
  const hosts = allowedHosts({
    listenHost: "0.0.0.0",
    port: 443,
    machineHostname: "hv",
    interfaceAddresses: ["10.1.2.3", "fd00::5"],
    extra: ["Board.Example.LAN", "proxy.lan:9000", "[fd00::9]:443"],
  });
  for (
    const host of [
      "10.1.2.3:443",
      "10.1.2.3",
      "[fd00::5]:443",
      "board.example.lan",
      "board.example.lan:443",
      "proxy.lan:9000",
      "[fd00::9]:443",
    ]
  ) {
    assert(hosts.has(host), host);
  }
  assert(!hosts.has("0.0.0.0:443"));
  assert(!hosts.has("proxy.lan"));
});

Deno.test("host: allowed Host headers pass, case-insensitively", async () => {
  for (const host of ["localhost:8080", "LOCALHOST:8080", "192.168.1.20:8080", "[::1]:8080"]) {
    const res = await app().request("/", { headers: { host } });
    assertEquals(res.status, 200, host);
  }
});

Deno.test("host: a foreign Host gets 421 before anything else runs", async () => {
  for (
    const host of [
      "evil.example:8080",
      "localhost:8081",
      "localhost",
      "127.0.0.1.evil.example:8080",
      "",
    ]
  ) {
    const res = await app().request("/", { headers: { host } });
    assertEquals(res.status, 421, host);
    const text = await res.text();
    assert(!text.includes("reached"));
    assertStringIncludes(text, "is not served here");
  }
});

Deno.test("host: API paths get the JSON error shape, even with a valid bearer", async () => {
  const res = await app().request("/api/domains", {
    method: "POST",
    headers: { host: "rebind.evil.example:8080", authorization: "Bearer whatever" },
  });
  assertEquals(res.status, 421);
  assertEquals(await res.json(), {
    error: {
      code: "misdirected",
      message:
        'Host "rebind.evil.example:8080" is not served here. If this is the right address for blockboard, start it with --allowed-host rebind.evil.example:8080.',
    },
  });
});

Deno.test("host: without a Host header the URL authority is checked", async () => {
  // app.request builds http://localhost/... without a Host header: port 80 is not allowed here.
  assertEquals((await app().request("/")).status, 421);
  const port80 = allowedHosts({
    listenHost: "127.0.0.1",
    port: 80,
    machineHostname: "h",
    interfaceAddresses: [],
  });
  assertEquals((await app(port80).request("/")).status, 200);
});
