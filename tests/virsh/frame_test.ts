import { assertEquals, assertThrows } from "@std/assert";
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
];

Deno.test("framedInput writes what the captured session was fed", () => {
  const input = COMMANDS.map((args, i) => framedInput(args, frameMarkers("0123abcd", i + 1)));
  assertEquals(
    input.join(""),
    [
      "'list' '--name'",
      "echo bb-0123abcd-o1",
      "cd /nonexistent-blockboard/bb-0123abcd-e1",
      "'dominfo' '--domain' 'no such'\\''x'",
      "echo bb-0123abcd-o2",
      "cd /nonexistent-blockboard/bb-0123abcd-e2",
      "'echo' '--' 'a'\\''b' '#c;d' 'virsh # echo'",
      "echo bb-0123abcd-o3",
      "cd /nonexistent-blockboard/bb-0123abcd-e3",
      "",
    ].join("\n"),
  );
});

Deno.test("captured session output splits into each command's stdout, stderr and status", () => {
  let stdout = read("session-test-driver.stdout");
  let stderr = read("session-test-driver.stderr");
  const got: { stdout: string; stderr: string; code: number }[] = [];
  COMMANDS.forEach((args, i) => {
    const m = frameMarkers("0123abcd", i + 1);
    const line = args.map(quoteVirshArg).join(" ");
    const out = takeStdout(stdout, line, m.stdout)!;
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
  ]);
});

Deno.test("a command whose markers have not fully arrived is not taken", () => {
  const m = frameMarkers("t", 1);
  assertEquals(
    takeStdout("virsh # 'uri'\nqemu:///system\nvirsh # echo bb-t-o", "'uri'", m.stdout),
    null,
  );
  assertEquals(
    takeStderr("error: cd: No such file or directory: /nonexistent-blockboard/bb-t-e1", m.stderr),
    null,
  );
  // Marker 1 is a prefix of marker 10: the line end decides, so 10 is never taken for 1.
  assertEquals(takeStdout("virsh # echo bb-t-o10\nbb-t-o10\n", "'uri'", m.stdout), null);
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
    "virsh # 'x'\nno newline at endvirsh # echo bb-t-o7\nbb-t-o7\nvirsh # ",
    "'x'",
    m.stdout,
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
