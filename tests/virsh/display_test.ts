import { assertEquals } from "@std/assert";
import {
  changesSomething,
  displayCommandLine,
  mutatingSubcommand,
} from "../../server/virsh/display.ts";

Deno.test("displayCommandLine quotes for a POSIX shell and adds -c URI once", () => {
  assertEquals(
    displayCommandLine("qemu:///system", [
      "blockcopy",
      "--dest",
      "/a b/it's.qcow2",
      "--domain",
      "$(x)",
    ]),
    `virsh -c qemu:///system blockcopy --dest '/a b/it'\\''s.qcow2' --domain '$(x)'`,
  );
  assertEquals(
    displayCommandLine("qemu:///system", ["-c", "qemu:///x", "list"]),
    "virsh -c qemu:///x list",
  );
  assertEquals(
    displayCommandLine("u", ["dumpxml", "--domain", ""]),
    "virsh -c u dumpxml --domain ''",
  );
});

Deno.test("only calls that change a job or a chain count as mutating (audited, echoed)", () => {
  const echoed = [
    ["blockcopy", "--domain", "x"],
    ["blockpull", "--domain", "x"],
    ["blockcommit", "--domain", "x"],
    ["snapshot-create-as", "--domain", "x", "--disk-only"],
    ["blockjob", "--domain", "x", "--path", "vda", "--abort"],
    ["blockjob", "--domain", "x", "--path", "vda", "--pivot"],
    ["blockjob", "--domain", "x", "--path", "vda", "--bandwidth", "5"],
    ["blockjob", "--domain", "x", "--path", "vda", "--async"], // --async implies --abort
    ["-c", "qemu:///system", "blockjob", "--domain", "x", "--path", "vda", "--abort"],
  ];
  const quiet = [
    ["blockjob", "--domain", "x", "--path", "vda", "--info", "--raw", "--bytes"],
    ["list", "--all", "--uuid"],
    ["domstats", "--block", "--backing"],
    ["dumpxml", "--domain", "x"],
    ["event", "--all", "--loop", "--timestamp"],
    ["-c", "qemu:///system", "domblklist", "--domain", "x"],
  ];
  for (const a of echoed) assertEquals(mutatingSubcommand(a) !== null, true, a.join(" "));
  for (const a of quiet) assertEquals(mutatingSubcommand(a) !== null, false, a.join(" "));
});

Deno.test("mutatingSubcommand names the subcommand, including --bandwidth=N", () => {
  assertEquals(mutatingSubcommand(["blockjob", "--domain", "x", "--bandwidth=5"]), "blockjob");
  assertEquals(mutatingSubcommand(["-c", "u", "blockcopy", "--domain", "x"]), "blockcopy");
  assertEquals(mutatingSubcommand([]), null);
});

Deno.test("one rule: the terminal's allowlist and the audit hook agree on what changes something", () => {
  for (const sub of ["blockcopy", "blockpull", "blockcommit", "snapshot-create-as"]) {
    assertEquals(changesSomething(sub, []), true, sub);
  }
  for (const o of ["abort", "async", "pivot", "bandwidth"]) {
    assertEquals(changesSomething("blockjob", ["domain", "path", o]), true, o);
    assertEquals(mutatingSubcommand(["blockjob", "--domain", "x", `--${o}`]), "blockjob", o);
  }
  assertEquals(changesSomething("blockjob", ["domain", "path", "info", "raw", "bytes"]), false);
  assertEquals(changesSomething("dumpxml", ["domain", "inactive"]), false);
});
