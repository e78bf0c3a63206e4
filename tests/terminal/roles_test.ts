/**
 * Which role a terminal line needs (`roleFor`, the one rule of display.ts): viewers read,
 * operators change; blockjob's report and control forms never mix.
 */
import { assertEquals } from "@std/assert";
import {
  type CheckOptions,
  parseTerminalLine,
  type TerminalRole,
} from "../../server/terminal/mod.ts";
import { roleFor, SUBCOMMANDS } from "../../server/terminal/subcommands.ts";
import { assertRefused } from "./refusal_helpers.ts";

const check = (line: string, role: TerminalRole = "operator", options?: CheckOptions) =>
  parseTerminalLine(line, role, options);
const argv = (line: string, role: TerminalRole = "operator", options?: CheckOptions) =>
  check(line, role, options).argv;

// --- roles --------------------------------------------------------------------------------------

const VIEWER_LINES = [
  "list --all",
  "dominfo vm1",
  "domstate vm1 --reason",
  "domblklist vm1 --details",
  "domblkinfo vm1 --all",
  "domstats --block",
  "dumpxml vm1 --inactive",
  "blockjob vm1 vda --info --raw --bytes",
  "blockjob vm1 vda --raw",
  "blockjob vm1 vda",
  "snapshot-list vm1 --tree",
  "snapshot-info vm1 --current",
  "pool-list --all",
  "vol-list default",
  "nodeinfo",
  "version --daemon",
  "help",
  "domuuid vm1",
  "domname 1",
  "domid vm1",
  "uri",
  "hostname",
];

Deno.test("allowlist: viewers run every read-only command", () => {
  for (const line of VIEWER_LINES) {
    const c = check(line, "viewer");
    assertEquals([c.mutating, c.streaming, c.requiredRole], [false, false, "viewer"], line);
  }
});

Deno.test("allowlist: the viewer lines above cover every read-only subcommand", () => {
  const readOnly = Object.keys(SUBCOMMANDS).filter((n) => roleFor(n) === "viewer").sort();
  const covered = [...new Set(VIEWER_LINES.map((l) => l.split(" ")[0]))].sort();
  assertEquals(covered, readOnly);
});

Deno.test("allowlist: viewers get 403 for operator commands, before options are read", () => {
  for (
    const line of [
      "blockcopy vm1 vda /d --raw",
      "blockpull vm1 vda",
      "blockcommit vm1 vda",
      "snapshot-create-as vm1 --disk-only",
      "blockcopy vm1 vda --xml /etc/shadow",
    ]
  ) {
    const sub = line.split(" ")[0];
    assertRefused(() => check(line, "viewer"), "role", {
      status: 403,
      reason: `${sub} requires the operator role`,
    });
  }
});

Deno.test("allowlist: blockjob controls need the operator role; admin = operator", () => {
  for (const opt of ["--abort", "--async", "--pivot", "--bandwidth 10"]) {
    const line = `blockjob vm1 vda ${opt}`;
    assertRefused(() => check(line, "viewer"), "role", {
      status: 403,
      reason: `blockjob ${opt.split(" ")[0]} requires the operator role`,
    });
    for (const role of ["operator", "admin"] as const) {
      const c = check(line, role);
      assertEquals([c.mutating, c.requiredRole], [true, "operator"]);
    }
  }
  assertEquals(argv("blockjob vm1 vda --bandwidth 1048576 --bytes"), [
    "blockjob",
    "--domain",
    "vm1",
    "--path",
    "vda",
    "--bandwidth",
    "1048576",
    "--bytes",
  ]);
});

Deno.test("allowlist: blockjob report and control cannot be mixed", () => {
  assertRefused(() => check("blockjob vm1 vda --info --abort"), "conflict");
  assertRefused(() => check("blockjob vm1 vda --raw --pivot", "viewer"), "conflict");
});

Deno.test("allowlist: admin runs exactly what operator runs", () => {
  for (const line of ["blockcopy vm1 vda /d --raw --wait", "snapshot-create-as vm1 --disk-only"]) {
    assertEquals(check(line, "admin"), check(line, "operator"));
  }
  assertRefused(() => check("destroy vm1", "admin"), "refused-subcommand");
});
