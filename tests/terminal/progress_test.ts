import { assertEquals } from "@std/assert";
import { foldCarriageReturns, ProgressFolder } from "../../server/terminal/progress.ts";

/** Folds chunks as the runner's `onStderr` delivers them, the way the terminal's stream does. */
function renderProgressStream(chunks: Iterable<string>): string[] {
  const folder = new ProgressFolder();
  const lines: string[] = [];
  for (const chunk of chunks) lines.push(...folder.push(chunk).finished);
  return [...lines, ...folder.end()];
}

// What `virsh blockcopy ... --wait --verbose` writes to stderr on libvirt 9.0.
const BLOCKCOPY_STDERR = "\rBlock Copy: [  0 %]\rBlock Copy: [ 45 %]\rBlock Copy: [100 %]\n" +
  "Now in mirroring phase\n";

Deno.test("progress: carriage returns replace the line, newlines end it", () => {
  assertEquals(foldCarriageReturns(BLOCKCOPY_STDERR), [
    "Block Copy: [100 %]",
    "Now in mirroring phase",
  ]);
});

Deno.test("progress: a shorter redraw leaves no stale characters", () => {
  assertEquals(foldCarriageReturns("abcdef\rXY"), ["XY"]);
});

Deno.test("progress: CRLF ends a line; a trailing CR keeps the text; empty lines kept", () => {
  assertEquals(foldCarriageReturns("a\r\nb\r"), ["a", "b"]);
  assertEquals(foldCarriageReturns("a\n\nb\n"), ["a", "", "b"]);
  assertEquals(foldCarriageReturns(""), []);
});

Deno.test("progress: chunks split anywhere fold the same as the whole text", () => {
  const text = "x\r\n" + BLOCKCOPY_STDERR + "\rBlock Copy: [ 12 %]";
  const whole = foldCarriageReturns(text);
  assertEquals(whole, [
    "x",
    "Block Copy: [100 %]",
    "Now in mirroring phase",
    "Block Copy: [ 12 %]",
  ]);
  for (let cut = 0; cut <= text.length; cut++) {
    assertEquals(renderProgressStream([text.slice(0, cut), text.slice(cut)]), whole, `cut ${cut}`);
  }
  assertEquals(renderProgressStream([...text]), whole);
});

Deno.test("progress: the folder reports the updating line live", () => {
  const folder = new ProgressFolder();
  assertEquals(folder.push("\rBlock Copy: [  3 %]"), {
    finished: [],
    current: "Block Copy: [  3 %]",
  });
  assertEquals(folder.push("\rBlock Copy: [ 9"), { finished: [], current: "Block Copy: [ 9" });
  assertEquals(folder.push("0 %]\r"), { finished: [], current: "Block Copy: [ 90 %]" });
  assertEquals(folder.push("\nNow in"), { finished: ["Block Copy: [ 90 %]"], current: "Now in" });
  assertEquals(folder.end(), ["Now in"]);
});
