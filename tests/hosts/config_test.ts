import { assertEquals, assertThrows } from "@std/assert";
import {
  HostConfigError,
  parseHostsFile,
  parseHostSpec,
  resolveHosts,
} from "../../server/hosts/config.ts";
import { ConfigError, parseConfig } from "../../server/config.ts";

Deno.test("NAME=URI: good entries parse, bad names and URIs are refused with a sentence", () => {
  const good: [string, { name: string; uri: string }][] = [
    ["hv1=qemu+tcp://10.77.1.2/system", { name: "hv1", uri: "qemu+tcp://10.77.1.2/system" }],
    [" a-b = qemu+ssh://root@h/system ", { name: "a-b", uri: "qemu+ssh://root@h/system" }],
    ["x=qemu:///system", { name: "x", uri: "qemu:///system" }],
  ];
  for (const [text, want] of good) assertEquals(parseHostSpec(text, "--libvirt"), want);
  const bad: [string, RegExp][] = [
    ["hv1", /must be NAME=URI/],
    ["HV1=qemu:///system", /host name "HV1" must be 1-32 lowercase/],
    ["-a=qemu:///system", /host name "-a"/],
    ["a/b=qemu:///system", /host name "a\/b"/],
    [`${"a".repeat(33)}=qemu:///system`, /must be 1-32/],
    ["=qemu:///system", /host name ""/],
    ["a=system", /URI "system" must be a libvirt URI/],
    ["a=qemu:///system; rm -rf /", /URI .* must be a libvirt URI/],
  ];
  for (const [text, message] of bad) {
    assertThrows(() => parseHostSpec(text, "--libvirt"), HostConfigError, undefined);
    try {
      parseHostSpec(text, "--libvirt");
    } catch (e) {
      assertEquals(message.test((e as Error).message), true, (e as Error).message);
    }
  }
});

Deno.test("hosts file: comments and blank lines skipped, errors name the line", () => {
  const text =
    "# lab hosts\n\nhv1=qemu+tcp://10.77.1.2/system  # first\nhv2=qemu+tcp://10.77.2.2/system\n";
  assertEquals(parseHostsFile(text, "/etc/hosts.bb"), [
    { name: "hv1", uri: "qemu+tcp://10.77.1.2/system" },
    { name: "hv2", uri: "qemu+tcp://10.77.2.2/system" },
  ]);
  assertThrows(() => parseHostsFile("ok=qemu:///system\nbroken\n", "f"), HostConfigError, "f:2");
});

Deno.test("resolveHosts: local first, --connect sets it, duplicates refused", () => {
  const hv1 = { name: "hv1", uri: "qemu+tcp://10.77.1.2/system" };
  const cases: {
    what: string;
    connect?: string;
    connectGiven?: boolean;
    listed?: { name: string; uri: string }[];
    fromFile?: { name: string; uri: string }[];
    want?: { name: string; uri: string }[];
    error?: string;
  }[] = [
    { what: "default", want: [{ name: "local", uri: "qemu:///system" }] },
    {
      what: "--connect",
      connect: "qemu:///session",
      connectGiven: true,
      want: [{ name: "local", uri: "qemu:///session" }],
    },
    {
      what: "listed and file, in order",
      listed: [hv1],
      fromFile: [{ name: "hv2", uri: "qemu+tcp://10.77.2.2/system" }],
      want: [{ name: "local", uri: "qemu:///system" }, hv1, {
        name: "hv2",
        uri: "qemu+tcp://10.77.2.2/system",
      }],
    },
    {
      what: "a listed local replaces the default",
      listed: [hv1, { name: "local", uri: "qemu+tcp://10.0.0.1/system" }],
      want: [{ name: "local", uri: "qemu+tcp://10.0.0.1/system" }, hv1],
    },
    {
      what: "listed local against an explicit --connect",
      connect: "qemu:///system",
      connectGiven: true,
      listed: [{ name: "local", uri: "qemu+tcp://10.0.0.1/system" }],
      error: "give one of them",
    },
    { what: "same name twice", listed: [hv1, hv1], error: `"hv1" is given twice` },
    {
      what: "same URI twice",
      listed: [hv1, { name: "hv9", uri: hv1.uri }],
      error: "both use qemu+tcp://10.77.1.2/system",
    },
    {
      what: "a host on the default's URI",
      listed: [{ name: "again", uri: "qemu:///system" }],
      error: "both use qemu:///system",
    },
  ];
  for (const c of cases) {
    const sources = {
      connect: c.connect ?? "qemu:///system",
      connectGiven: c.connectGiven ?? false,
      listed: c.listed ?? [],
      fromFile: c.fromFile ?? [],
    };
    if (c.error) assertThrows(() => resolveHosts(sources), HostConfigError, c.error);
    else assertEquals(resolveHosts(sources), c.want, c.what);
  }
});

Deno.test("parseConfig: --libvirt repeatable, BLOCKBOARD_LIBVIRT, --hosts-file, errors", () => {
  const files: Record<string, string> = { "/h": "hv3=qemu+tcp://10.77.3.2/system\n" };
  const read = (path: string) => {
    if (path in files) return files[path];
    throw new Error("No such file or directory");
  };
  const hostsOf = (args: string[], env: Record<string, string> = {}) => {
    const r = parseConfig(args, env, read);
    if (r.help) throw new Error("help");
    return r.config.hosts.map((h) => `${h.name}=${h.uri}`);
  };
  assertEquals(hostsOf([]), ["local=qemu:///system"]);
  assertEquals(hostsOf(["--connect", "qemu:///session"]), ["local=qemu:///session"]);
  assertEquals(
    hostsOf(["--libvirt", "hv1=qemu+tcp://10.77.1.2/system", "--libvirt", "hv2=qemu:///x"]),
    ["local=qemu:///system", "hv1=qemu+tcp://10.77.1.2/system", "hv2=qemu:///x"],
  );
  assertEquals(
    hostsOf([], { BLOCKBOARD_LIBVIRT: "hv1=qemu+tcp://10.77.1.2/system, hv2=qemu:///x" }),
    ["local=qemu:///system", "hv1=qemu+tcp://10.77.1.2/system", "hv2=qemu:///x"],
  );
  // The flag wins over the variable.
  assertEquals(
    hostsOf(["--libvirt", "a=qemu:///a"], { BLOCKBOARD_LIBVIRT: "b=qemu:///b" }),
    ["local=qemu:///system", "a=qemu:///a"],
  );
  assertEquals(hostsOf(["--hosts-file", "/h"]), [
    "local=qemu:///system",
    "hv3=qemu+tcp://10.77.3.2/system",
  ]);
  assertEquals(hostsOf([], { BLOCKBOARD_HOSTS_FILE: "/h" }).length, 2);
  assertThrows(() => hostsOf(["--hosts-file", "/missing"]), ConfigError, "cannot be read");
  assertThrows(() => hostsOf(["--libvirt", "Bad=qemu:///x"]), ConfigError, "--libvirt");
});
