/**
 * The combination rules of rules.ts: blockcopy's format and copy policy, disk-only snapshots.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  type CheckOptions,
  type CopyPolicy,
  parseTerminalLine,
  type TerminalRole,
} from "../../server/terminal/mod.ts";
import { assertRefused } from "./refusal_helpers.ts";

const check = (line: string, role: TerminalRole = "operator", options?: CheckOptions) =>
  parseTerminalLine(line, role, options);

// --- blockcopy format and policy ----------------------------------------------------------------

Deno.test("allowlist: blockcopy must state the format", () => {
  assertRefused(() => check("blockcopy vm1 vda /d"), "format-required", {
    reason: "blockboard always states the format: add --format qcow2 or --raw",
  });
  assertRefused(() => check("blockcopy vm1 vda /d --reuse-external"), "format-required", {
    reason: "--reuse-external needs an explicit format",
  });
  assertEquals(check("blockcopy vm1 vda /d --reuse-external --format qcow2").argv.at(-1), "qcow2");
  assertRefused(() => check("blockcopy vm1 vda /d --raw --format qcow2"), "conflict");
  for (const fmt of ["auto", "none", "vmdk", "QCOW2"]) {
    assertRefused(() => check(`blockcopy vm1 vda /d --format ${fmt}`), "unsupported-value", {
      reason: `'${fmt}'`,
    });
  }
  assertRefused(() => check("blockcopy vm1 vda --raw"), "missing-option", { reason: "--dest" });
});

Deno.test("allowlist: blockcopy destinations go through the copy policy with the format", () => {
  const calls: unknown[] = [];
  const copyPolicy: CopyPolicy = (dest, opts) => {
    calls.push([dest, opts]);
    return dest.startsWith("/pool/") ? null : `${dest} is outside the storage roots`;
  };
  check("blockcopy vm1 vda /pool/a.qcow2 --format qcow2", "operator", { copyPolicy });
  check("blockcopy vm1 vda --dest=/pool/b.raw --raw --reuse-external", "operator", { copyPolicy });
  assertEquals(calls, [
    ["/pool/a.qcow2", { format: "qcow2", reuseExternal: false }],
    ["/pool/b.raw", { format: "raw", reuseExternal: true }],
  ]);
  const refusal = assertRefused(
    () => check("blockcopy vm1 vda /etc/shadow --raw", "operator", { copyPolicy }),
    "policy",
  );
  assertStringIncludes(refusal.reason, "/etc/shadow is outside the storage roots");
  // The format rule comes first: the policy never sees a format-less copy.
  calls.length = 0;
  assertRefused(
    () => check("blockcopy vm1 vda /pool/c", "operator", { copyPolicy }),
    "format-required",
  );
  assertEquals(calls, []);
});

// --- snapshot-create-as -------------------------------------------------------------------------

Deno.test("allowlist: snapshot-create-as only as a disk-only snapshot with safe diskspecs", () => {
  assertRefused(() => check("snapshot-create-as vm1 s1"), "missing-option", {
    reason: "--disk-only",
  });
  for (const opt of ["--reuse-external", "--memspec file=/x", "--halt", "--live", "--print-xml"]) {
    assertRefused(() => check(`snapshot-create-as vm1 --disk-only ${opt}`), "unknown-option");
  }
  for (
    const spec of [
      "vda,driver=raw",
      "vda,stype=block,file=/dev/sda",
      "vda,snapshot=internal",
      "vda,bogus=1",
      "vda,constructor=1",
      "vda,file",
      ",file=/pool/x",
    ]
  ) {
    assertRefused(
      () => check(`snapshot-create-as vm1 --disk-only --diskspec ${spec}`),
      "unsupported-value",
    );
  }
  const seen: string[] = [];
  const copyPolicy: CopyPolicy = (dest, opts) => {
    seen.push(`${dest}|${opts.format}|${opts.reuseExternal}`);
    return dest === "/etc/x,y" ? "outside the roots" : null;
  };
  assertRefused(
    () =>
      check("snapshot-create-as vm1 --disk-only --diskspec vda,file=/etc/x,,y", "operator", {
        copyPolicy,
      }),
    "policy",
  );
  assertEquals(seen, ["/etc/x,y|qcow2|false"]);
  assert(check("snapshot-create-as vm1 --disk-only --quiesce --description 'a & b'").mutating);
});
