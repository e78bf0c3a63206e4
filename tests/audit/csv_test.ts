import { assertEquals } from "@std/assert";
import { csvCell, csvDocument, csvRow } from "../../server/audit/csv.ts";

/** [input, expected cell] at the boundaries of quoting and neutralising. */
const CELLS: [string | number | null | undefined, string][] = [
  // Plain and empty values stay as they are.
  ["plain", "plain"],
  ["", ""],
  [null, ""],
  [undefined, ""],
  [42, "42"],
  [-1, "-1"], // numbers we write ourselves are not formulas
  ["a=b", "a=b"], // only a leading character triggers
  ["a-b+c@d", "a-b+c@d"],
  [" hello", " hello"], // leading blanks alone are harmless
  ["'quoted already", "'quoted already"],
  // Every separator, quote and line break forces quotes, wherever it stands.
  [",", '","'],
  ["a,b", '"a,b"'],
  ["a;b", '"a;b"'],
  [";", '";"'],
  ["end;", '"end;"'],
  ["a\tb", '"a\tb"'],
  ["a\nb", '"a\nb"'],
  ["a\rb", '"a\rb"'],
  ["a\r\nb", '"a\r\nb"'],
  ['say "hi"', '"say ""hi"""'],
  ['"', '""""'],
  // Formula starters get a leading apostrophe...
  ["=1+1", "'=1+1"],
  ["+SUM(A1)", "'+SUM(A1)"],
  ["-2+3", "'-2+3"],
  ["--pivot", "'--pivot"],
  ["@cmd", "'@cmd"],
  ["=", "'="],
  // ...also after leading whitespace, which spreadsheets skip...
  [" =1+1", "' =1+1"],
  ["  @SUM(1)", "'  @SUM(1)"],
  ["\u00a0=1", "'\u00a0=1"],
  // ...and tab / CR starters are both neutralised and quoted.
  ["\t=x", `"'\t=x"`],
  ["\r=x", `"'\r=x"`],
  ["\n=x", `"'\n=x"`],
  [" \t-1", `"' \t-1"`],
  // Neutralised and quoted together.
  ["=A1;B1", `"'=A1;B1"`],
  ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
];

for (const [input, expected] of CELLS) {
  Deno.test(`csv: cell ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
    assertEquals(csvCell(input), expected);
  });
}

Deno.test("csv: every cell of a row is treated, not only some columns", () => {
  assertEquals(csvRow(["=a", "b;c", " +d", 3, null]), `'=a,"b;c",' +d,3,`);
});

Deno.test("csv: documents end every line with CRLF; the header is treated too", () => {
  assertEquals(csvDocument(["a", "b"], [["1", "x,y"], ["=2", ""]]), 'a,b\r\n1,"x,y"\r\n\'=2,\r\n');
  assertEquals(csvDocument(["=h", "x;y"], []), `'=h,"x;y"\r\n`);
});
