/**
 * The allowlist: a tokenized line checked and rewritten into named options, and everything it
 * refuses (roles: roles_test.ts; option combinations: rules_test.ts).
 */
import { assertEquals } from "@std/assert";
import {
  checkCommand,
  type CheckOptions,
  parseTerminalLine,
  type TerminalRole,
} from "../../server/terminal/mod.ts";
import { assertRefused } from "./refusal_helpers.ts";

const check = (line: string, role: TerminalRole = "operator", options?: CheckOptions) =>
  parseTerminalLine(line, role, options);
const argv = (line: string, role: TerminalRole = "operator", options?: CheckOptions) =>
  check(line, role, options).argv;

// --- the leading word, global options, refused subcommands -----------------------------------

Deno.test("allowlist: the word virsh is optional and dropped", () => {
  assertEquals(argv("virsh domblklist vm1", "viewer"), ["domblklist", "--domain", "vm1"]);
  assertEquals(argv("domblklist vm1", "viewer"), ["domblklist", "--domain", "vm1"]);
  assertRefused(() => check("virsh"), "no-subcommand");
  assertRefused(() => checkCommand([], "admin"), "empty");
});

Deno.test("allowlist: bare subcommands give a one-word argv (the runner allows [a-z-]+ only)", () => {
  for (const sub of ["list", "nodeinfo", "version", "uri", "hostname", "pool-list", "help"]) {
    assertEquals(argv(sub, "viewer"), [sub]);
  }
});

Deno.test("allowlist: global options before the subcommand are refused, named", () => {
  for (
    const [line, named] of [
      ["virsh -c qemu:///session list", "-c"],
      ["--connect qemu+ssh://evil/system list", "--connect"],
      ["virsh --connect=qemu:///session list", "--connect"],
      ["-l /etc/cron.d/x list", "-l"],
      ["virsh --log /tmp/x list", "--log"],
      ["-k 0 list", "-k"],
      ["--keepalive-interval 1 list", "--keepalive-interval"],
      ["-K 1 list", "-K"],
      ["-r list", "-r"],
      ["--readonly list", "--readonly"],
      ["-d 0 list", "-d"],
      ["--debug=0 list", "--debug"],
      ["-e ^] list", "-e"],
      ["-q list", "-q"],
      ["-t list", "-t"],
      ["-v", "-v"],
      ["-V", "-V"],
      ["virsh --version", "--version"],
    ]
  ) {
    assertRefused(() => check(line, "admin"), "global-option", { reason: `option ${named} ` });
  }
  assertRefused(() => check("--frobnicate list", "admin"), "global-option", {
    reason: "--frobnicate",
  });
});

Deno.test("allowlist: global options after the subcommand are refused too", () => {
  assertRefused(() => check("list --connect qemu:///session", "admin"), "global-option", {
    reason: "--connect",
  });
  assertRefused(() => check("dominfo -c", "admin"), "global-option", { reason: "-c" });
  assertRefused(() => check("dominfo vm1 -l /tmp/log", "admin"), "global-option", { reason: "-l" });
  assertRefused(() => check("list --readonly", "admin"), "global-option");
});

Deno.test("allowlist: dangerous subcommands are refused with their own reason", () => {
  for (
    const [line, reason] of [
      ["connect qemu:///session", "connect would change the connection"],
      ["virsh edit vm1", "edit opens an editor"],
      ["console vm1", "console is interactive"],
      ["qemu-monitor-command vm1 --hmp info", "qemu-monitor-command talks to QEMU directly"],
      ["qemu-agent-command vm1 '{}'", "qemu-agent-command talks to QEMU directly"],
      ["qemu-monitor-event", "qemu-monitor-event talks to QEMU directly"],
      ["cd /etc", "cd is a built-in"],
      ["pwd", "pwd is a built-in"],
      ["echo hi", "echo is a built-in"],
      ["exit", "exit is a built-in"],
      ["quit", "quit is a built-in"],
      ["save vm1 /tmp/x", "save is not available"],
      ["restore /tmp/x", "restore is not available"],
      ["undefine vm1", "undefine is not available"],
      ["destroy vm1", "destroy is not available"],
    ]
  ) {
    assertRefused(() => check(line, "admin"), "refused-subcommand", { reason });
  }
});

Deno.test("allowlist: ! shell escapes are refused", () => {
  assertRefused(() => check("!sh", "admin"), "shell-escape", { reason: "!sh" });
  assertRefused(() => check("virsh !ls -la", "admin"), "shell-escape");
  assertRefused(() => check("'!id'", "admin"), "shell-escape");
});

Deno.test("allowlist: unknown subcommands are refused, naming them; no prototype lookups", () => {
  for (const sub of ["shutdown", "define", "attach-disk", "LIST", "constructor", "__proto__"]) {
    assertRefused(() => check(`${sub} vm1`, "admin"), "unknown-subcommand", { reason: `'${sub}'` });
  }
});

// --- options ------------------------------------------------------------------------------------

Deno.test("allowlist: an option not on the subcommand's list is refused, naming both", () => {
  assertRefused(() => check("blockcopy vm1 vda --dest /d --raw --xml /etc/x"), "unknown-option", {
    reason: "option --xml is not allowed for blockcopy",
  });
  assertRefused(() => check("blockcommit vm1 vda --delete"), "unknown-option", {
    reason: "option --delete is not allowed for blockcommit",
  });
  assertRefused(() => check("dumpxml vm1 --security-info", "admin"), "unknown-option");
  assertRefused(() => check("dominfo vm1 --constructor", "admin"), "unknown-option");
  assertRefused(() => check("domstate vm1 --reas"), "unknown-option"); // no abbreviations
  assertRefused(() => check("blockpull vm1 vda --help"), "global-option");
});

Deno.test("allowlist: option values: missing, empty, on a flag, duplicated", () => {
  assertRefused(() => check("blockcopy vm1 vda --raw --dest"), "missing-value", {
    reason: "--dest needs a value",
  });
  assertRefused(() => check("dominfo --domain=", "viewer"), "empty-value");
  assertRefused(() => check("dominfo --domain ''", "viewer"), "empty-value");
  assertRefused(() => check("dominfo ''", "viewer"), "empty-value");
  assertRefused(() => check("domstate vm1 --reason=1", "viewer"), "flag-value");
  assertRefused(() => check("dominfo --domain a --domain b", "viewer"), "duplicate-option");
  assertRefused(() => check("dominfo a --domain b", "viewer"), "duplicate-option");
  assertRefused(() => check("blockjob vm1 vda --info --info", "viewer"), "duplicate-option");
});

Deno.test("allowlist: extra bare words are refused, not guessed into legacy slots", () => {
  assertRefused(() => check("blockpull vm1 vda 10"), "unexpected-argument", { reason: "'10'" });
  assertRefused(() => check("list vm1", "viewer"), "unexpected-argument", {
    reason: "list takes no arguments",
  });
  assertRefused(() => check("snapshot-create-as vm1 s1 desc --disk-only"), "unexpected-argument");
});

Deno.test("allowlist: a bare word starting with '-' is refused; --domain=-x and -- -x work", () => {
  assertRefused(() => check("dominfo -x", "viewer"), "dash-argument", { reason: "--domain=-x" });
  assertEquals(argv("dominfo --domain=-x", "viewer"), ["dominfo", "--domain", "-x"]);
  assertEquals(argv("dominfo -- -x", "viewer"), ["dominfo", "--domain", "-x"]);
  assertEquals(argv("dominfo -- -c", "viewer"), ["dominfo", "--domain", "-c"]);
});

// --- hostile names ------------------------------------------------------------------------------

Deno.test("allowlist: a domain named --pivot travels as a value, never as an option", () => {
  const expected = ["blockjob", "--domain", "--pivot", "--path", "vda", "--info"];
  assertEquals(argv("blockjob --domain --pivot vda --info", "viewer"), expected);
  assertEquals(argv("blockjob --domain=--pivot vda --info", "viewer"), expected);
  assertEquals(argv("blockjob --info -- --pivot vda", "viewer"), [
    "blockjob",
    "--info",
    "--domain",
    "--pivot",
    "--path",
    "vda",
  ]);
  // Typed bare, --pivot is the option: an abort that a viewer may not run, and which names no domain.
  assertRefused(() => check("blockjob --pivot vda", "viewer"), "role", { status: 403 });
  const c = check("blockjob --pivot vm1 vda");
  assertEquals(c.argv, ["blockjob", "--pivot", "--domain", "vm1", "--path", "vda"]);
  assertEquals([c.domain, c.disk, c.mutating], ["vm1", "vda", true]);
});

Deno.test("allowlist: values keep '=', spaces, quotes and markup verbatim", () => {
  assertEquals(argv(`dominfo --domain='a=b c' `, "viewer"), ["dominfo", "--domain", "a=b c"]);
  assertEquals(argv(`dominfo "bbfix-<img src=x onerror=alert(1)>"`, "viewer"), [
    "dominfo",
    "--domain",
    "bbfix-<img src=x onerror=alert(1)>",
  ]);
  assertEquals(argv(`dominfo "it's"`, "viewer"), ["dominfo", "--domain", "it's"]);
  assertEquals(argv(`dominfo 12`, "viewer"), ["dominfo", "--domain", "12"]);
});

// --- exact argv rewrites ------------------------------------------------------------------------

Deno.test("allowlist: blockcopy positionals become --domain --path --dest, order kept", () => {
  const c = check(
    "virsh blockcopy vm1 vda /pool/copy.qcow2 --format qcow2 --transient-job --wait --verbose",
  );
  assertEquals(c.argv, [
    "blockcopy",
    "--domain",
    "vm1",
    "--path",
    "vda",
    "--dest",
    "/pool/copy.qcow2",
    "--format",
    "qcow2",
    "--transient-job",
    "--wait",
    "--verbose",
  ]);
  assertEquals(c.subcommand, "blockcopy");
  assertEquals([c.mutating, c.streaming, c.requiredRole], [true, true, "operator"]);
  assertEquals([c.domain, c.disk], ["vm1", "vda"]);
});

Deno.test("allowlist: named options fill slots, so later bare words take the next free slot", () => {
  assertEquals(argv("blockcopy --path vda vm1 --raw /d"), [
    "blockcopy",
    "--path",
    "vda",
    "--domain",
    "vm1",
    "--raw",
    "--dest",
    "/d",
  ]);
  assertEquals(argv("blockcopy --dest=/d --bandwidth=1048576 --bytes vm1 vda --raw"), [
    "blockcopy",
    "--dest",
    "/d",
    "--bandwidth",
    "1048576",
    "--bytes",
    "--domain",
    "vm1",
    "--path",
    "vda",
    "--raw",
  ]);
});

Deno.test("allowlist: read-only rewrites", () => {
  assertEquals(argv("domblkinfo vm1 vda --human", "viewer"), [
    "domblkinfo",
    "--domain",
    "vm1",
    "--device",
    "vda",
    "--human",
  ]);
  assertEquals(argv("snapshot-info vm1 s1", "viewer"), [
    "snapshot-info",
    "--domain",
    "vm1",
    "--snapshotname",
    "s1",
  ]);
  assertEquals(argv("vol-list default --details", "viewer"), [
    "vol-list",
    "--pool",
    "default",
    "--details",
  ]);
  assertEquals(argv("help blockcopy", "viewer"), ["help", "--command", "blockcopy"]);
  assertEquals(argv("help connect", "viewer"), ["help", "--command", "connect"]);
  assertEquals(argv("domstats --block --backing vm1 vm2", "viewer"), [
    "domstats",
    "--block",
    "--backing",
    "--domain",
    "vm1",
    "--domain",
    "vm2",
  ]);
  assertEquals(argv(`dumpxml vm1 --xpath "//disk[@device='disk']/source/@file"`, "viewer"), [
    "dumpxml",
    "--domain",
    "vm1",
    "--xpath",
    "//disk[@device='disk']/source/@file",
  ]);
  assertEquals(argv("list --all --uuid --name", "viewer"), ["list", "--all", "--uuid", "--name"]);
});

Deno.test("allowlist: blockpull, blockcommit, snapshot-create-as rewrites", () => {
  const pull = check("blockpull vm1 vda --base vda[2] --wait --verbose");
  assertEquals(pull.argv, [
    "blockpull",
    "--domain",
    "vm1",
    "--path",
    "vda",
    "--base",
    "vda[2]",
    "--wait",
    "--verbose",
  ]);
  assertEquals([pull.mutating, pull.streaming], [true, true]);
  assertEquals(check("blockpull vm1 vda").streaming, false);
  assertEquals(check("blockpull vm1 vda --timeout 5").streaming, false); // needs --wait in virsh
  const commit = check("blockcommit vm1 vda --active --pivot --verbose");
  assertEquals(commit.argv, [
    "blockcommit",
    "--domain",
    "vm1",
    "--path",
    "vda",
    "--active",
    "--pivot",
    "--verbose",
  ]);
  assertEquals(commit.streaming, true); // --pivot implies --wait
  assertEquals(check("blockcommit vm1 vda --active --keep-overlay").streaming, true);
  assertEquals(check("blockcommit vm1 vda --top vda[1] --base vda[3]").streaming, false);
  const snap = check(
    "snapshot-create-as vm1 s1 --disk-only --atomic --no-metadata --diskspec vda,snapshot=external,file=/pool/s1.qcow2 --diskspec vdb,snapshot=no",
  );
  assertEquals(snap.argv, [
    "snapshot-create-as",
    "--domain",
    "vm1",
    "--name",
    "s1",
    "--disk-only",
    "--atomic",
    "--no-metadata",
    "--diskspec",
    "vda,snapshot=external,file=/pool/s1.qcow2",
    "--diskspec",
    "vdb,snapshot=no",
  ]);
  assertEquals([snap.mutating, snap.streaming], [true, false]);
});

Deno.test("allowlist: streaming follows --wait and the options that imply it", () => {
  const base = "blockcopy vm1 vda /d --raw";
  assertEquals(check(base).streaming, false);
  for (const extra of ["--wait", "--pivot", "--finish", "--timeout 30"]) {
    assertEquals(check(`${base} ${extra}`).streaming, true, extra);
  }
});

Deno.test("allowlist: the busy-host options of blockcopy, blockpull and blockcommit", () => {
  assertEquals(
    argv(
      "blockcopy vm1 vda /d --format qcow2 --synchronous-writes --granularity 65536 --buf-size 1048576",
    ),
    [
      "blockcopy",
      "--domain",
      "vm1",
      "--path",
      "vda",
      "--dest",
      "/d",
      "--format",
      "qcow2",
      "--synchronous-writes",
      "--granularity",
      "65536",
      "--buf-size",
      "1048576",
    ],
  );
  assertEquals(argv("blockpull vm1 vda --base /b --keep-relative").at(-1), "--keep-relative");
  assertEquals(argv("blockcommit vm1 vda --top /t --keep-relative").at(-1), "--keep-relative");
  // --delete stays out: the web's "still used elsewhere" check would be skipped.
  assertRefused(() => check("blockcommit vm1 vda --top /t --delete"), "unknown-option");
});
