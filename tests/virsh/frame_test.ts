import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  exitCodeOf,
  framedInput,
  frameMarkers,
  takeStderr,
  takeStdout,
  withoutReconnectNotice,
} from "../../server/virsh/frame.ts";
import { quoteVirshArg, UnquotableArgumentError } from "../../server/virsh/quote.ts";

const FIXTURES = new URL("../fixtures/virsh/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, FIXTURES));

const COMMANDS: string[][] = [
  ["list", "--name"],
  ["dominfo", "--domain", "no such'x"],
  ["echo", "--", "a'b", "#c;d", "virsh # echo"],
  // Long enough for readline to mangle its echo with a carriage return at column 80.
  ["echo", "--", "x".repeat(120)],
];

Deno.test("framedInput writes a start marker, the quoted command and both end markers", () => {
  assertEquals(
    framedInput(COMMANDS[1], frameMarkers("0123abcd", 2)),
    [
      "echo bb-0123abcd-s2",
      "'dominfo' '--domain' 'no such'\\''x'",
      "echo bb-0123abcd-o2",
      "cd /nonexistent-blockboard/bb-0123abcd-e2",
      "",
    ].join("\n"),
  );
});

Deno.test("captured session output splits into each command's stdout, stderr and status", () => {
  let stdout = read("session-test-driver.stdout");
  let stderr = read("session-test-driver.stderr");
  const got: { stdout: string; stderr: string; code: number }[] = [];
  COMMANDS.forEach((_command, i) => {
    const m = frameMarkers("0123abcd", i + 1);
    const out = takeStdout(stdout, m)!;
    const err = takeStderr(stderr, m.stderr)!;
    stdout = out.rest;
    stderr = err.rest;
    got.push({ stdout: out.text, stderr: err.text, code: exitCodeOf(err.text) });
  });
  assertEquals(got, [
    { stdout: "test\n\n", stderr: "", code: 0 },
    // After an error virsh prints a bare newline on stdout, spawned or not.
    { stdout: "\n", stderr: "error: failed to get domain 'no such'x'\n", code: 1 },
    { stdout: "a'b #c;d virsh # echo\n", stderr: "", code: 0 },
    { stdout: `${"x".repeat(120)}\n`, stderr: "", code: 0 },
  ]);
  assert(read("session-test-driver.stdout").includes("\r"), "the fixture shows a mangled echo");
});

Deno.test("a command whose markers have not fully arrived is not taken", () => {
  const m = frameMarkers("t", 1);
  const head = "virsh # echo bb-t-s1\nbb-t-s1\nvirsh # 'uri'\nqemu:///system\n";
  assertEquals(takeStdout(`${head}virsh # echo bb-t-o`, m), null);
  assertEquals(
    takeStderr("error: cd: No such file or directory: /nonexistent-blockboard/bb-t-e1", m.stderr),
    null,
  );
  // Marker 1 is a prefix of marker 10: the line end decides, so 10 is never taken for 1.
  assertEquals(takeStdout("virsh # echo bb-t-o10\nbb-t-o10\n", m), null);
  assertEquals(
    takeStderr(
      "error: cd: No such file or directory: /nonexistent-blockboard/bb-t-e10\n",
      m.stderr,
    ),
    null,
  );
});

Deno.test("output that lacks a final newline runs into the next prompt and is kept whole", () => {
  const m = frameMarkers("t", 7);
  const taken = takeStdout(
    "virsh # echo bb-t-s7\nbb-t-s7\nvirsh # 'x'\nno newline at endvirsh # echo bb-t-o7\nbb-t-o7\nvirsh # ",
    m,
  );
  assertEquals(taken, { text: "no newline at end", rest: "virsh # " });
});

Deno.test("virsh's reconnection notice is not a failure", () => {
  assertEquals(exitCodeOf("error: Reconnected to the hypervisor\n"), 0);
  assertEquals(withoutReconnectNotice("error: Reconnected to the hypervisor\nwarn\n"), "warn\n");
  assertEquals(
    exitCodeOf("error: Reconnected to the hypervisor\nerror: failed to get domain 'x'\n"),
    1,
  );
});

Deno.test("quoting: every word single-quoted; line breaks and NUL refused", () => {
  assertEquals(quoteVirshArg(""), "''");
  assertEquals(quoteVirshArg("it's"), "'it'\\''s'");
  assertEquals(quoteVirshArg('a b;c#d\\e"f$g'), "'a b;c#d\\e\"f$g'");
  for (const bad of ["a\nb", "a\rb", "a\0b"]) {
    assertThrows(() => quoteVirshArg(bad), UnquotableArgumentError);
  }
});
