import { assertEquals } from "@std/assert";
import { MAX_LINE_LENGTH, tokenizeCommandLine } from "../../server/terminal/tokenize.ts";
import { assertRefused } from "./refusal_helpers.ts";

const tok = tokenizeCommandLine;

Deno.test("tokenize: splits on spaces and tabs, collapsing runs", () => {
  assertEquals(tok("  domblklist\tvm1   --details "), ["domblklist", "vm1", "--details"]);
});

Deno.test("tokenize: single quotes are literal, backslashes and double quotes included", () => {
  assertEquals(tok(`dominfo 'a b\\c "d"'`), ["dominfo", 'a b\\c "d"']);
});

Deno.test('tokenize: double quotes unescape only \\" and \\\\', () => {
  assertEquals(tok(`x "say \\"hi\\" \\\\ \\n \\$HOME"`), ["x", 'say "hi" \\ \\n \\$HOME']);
});

Deno.test("tokenize: backslash outside quotes escapes the next character", () => {
  assertEquals(tok("dominfo a\\ b \\'q\\' \\\\"), ["dominfo", "a b", "'q'", "\\"]);
  assertEquals(tok("x \\|\\&\\>"), ["x", "|&>"]);
});

Deno.test("tokenize: quoted and unquoted parts join; empty quotes make an empty word", () => {
  assertEquals(tok(`a"b c"'d'e`), ["ab cde"]);
  assertEquals(tok(`x '' ""`), ["x", "", ""]);
});

Deno.test("tokenize: nothing is expanded", () => {
  assertEquals(tok("dominfo $HOME ~ * ?.qcow2 [ab] #c"), [
    "dominfo",
    "$HOME",
    "~",
    "*",
    "?.qcow2",
    "[ab]",
    "#c",
  ]);
  assertEquals(tok(`x '$(id)' "\`id\`" "a|b" 'c&d' "<e>"`), [
    "x",
    "$(id)",
    "`id`",
    "a|b",
    "c&d",
    "<e>",
  ]);
});

Deno.test("tokenize: non-ASCII text passes through, an escaped astral character stays whole", () => {
  assertEquals(tok("dominfo vm-ü \\😀x"), ["dominfo", "vm-ü", "😀x"]);
});

Deno.test("tokenize: refuses unquoted shell operators", () => {
  for (
    const [line, op] of [
      ["list | grep vm", "'|'"],
      ["list || true", "'|'"],
      ["list & reboot vm1", "'&'"],
      ["list && reboot vm1", "'&'"],
      ["dumpxml vm1 > /etc/passwd", "'>'"],
      ["dumpxml vm1 >> /tmp/x", "'>'"],
      ["define < /tmp/x", "'<'"],
      ["dominfo `id`", "'`'"],
      ["dominfo $(id)", "'$('"],
      ['dominfo a"b"$(id)', "'$('"],
    ]
  ) {
    assertRefused(() => tok(line), "shell-operator", { reason: op });
  }
});

Deno.test("tokenize: refuses ';' anywhere, even quoted or escaped", () => {
  for (
    const line of ["list; destroy vm1", "list ;", "dominfo 'a;b'", 'dominfo "a;b"', "dominfo a\\;b"]
  ) {
    assertRefused(() => tok(line), "shell-operator", { reason: "';'" });
  }
});

Deno.test("tokenize: refuses newlines and carriage returns anywhere, even quoted", () => {
  for (
    const line of ["list\ndestroy vm1", "list\r", "dominfo 'a\nb'", 'dominfo "a\r\nb"', "x\\\ny"]
  ) {
    assertRefused(() => tok(line), "newline");
  }
});

Deno.test("tokenize: refuses NUL and other control characters, allows tab", () => {
  for (
    const line of ["dominfo a\0b", "dominfo 'a\0b'", "list\x1b[2J", "list\x7f", "list\x85", "x\x0b"]
  ) {
    assertRefused(() => tok(line), "control-char");
  }
  assertRefused(() => tok("dominfo a\0"), "control-char", { reason: "U+0000" });
  assertRefused(() => tok("dominfo 'vm\u202e1'"), "control-char", { reason: "U+202E" });
  assertRefused(() => tok("dominfo vm\u2028"), "control-char", { reason: "U+2028" });
  assertEquals(tok("list\t--all"), ["list", "--all"]);
});

Deno.test("tokenize: refuses unterminated quotes and a trailing backslash", () => {
  assertRefused(() => tok("dominfo 'vm1"), "unterminated-quote", { reason: "single" });
  assertRefused(() => tok('dominfo "vm1'), "unterminated-quote", { reason: "double" });
  assertRefused(() => tok('dominfo "vm1\\"'), "unterminated-quote");
  assertRefused(() => tok("dominfo vm1\\"), "unterminated-escape");
});

Deno.test("tokenize: refuses empty and blank lines", () => {
  assertRefused(() => tok(""), "empty");
  assertRefused(() => tok(" \t "), "empty");
});

Deno.test("tokenize: refuses a line over the length limit, accepts one at it", () => {
  const atLimit = "dominfo " + "a".repeat(MAX_LINE_LENGTH - 8);
  assertEquals(atLimit.length, 4096);
  assertEquals(tok(atLimit).length, 2);
  assertRefused(() => tok(atLimit + "a"), "too-long", { reason: "4096" });
});
