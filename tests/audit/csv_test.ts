import { assertEquals } from "@std/assert";
import { csvCell, csvDocument } from "../../server/audit/csv.ts";

Deno.test("csv: RFC 4180 quoting", () => {
  assertEquals(csvCell("plain"), "plain");
  assertEquals(csvCell("a,b"), '"a,b"');
  assertEquals(csvCell('say "hi"'), '"say ""hi"""');
  assertEquals(csvCell("line1\nline2"), '"line1\nline2"');
  assertEquals(csvCell("cr\rhere"), '"cr\rhere"');
  assertEquals(csvCell(""), "");
  assertEquals(csvCell(null), "");
  assertEquals(csvCell(42), "42");
  assertEquals(csvCell(-1), "-1", "numbers we write ourselves are not formulas");
});

Deno.test("csv: formula injection is neutralised", () => {
  assertEquals(csvCell("=1+1"), "'=1+1");
  assertEquals(csvCell("+SUM(A1)"), "'+SUM(A1)");
  assertEquals(csvCell("-2+3"), "'-2+3");
  assertEquals(csvCell("@cmd"), "'@cmd");
  assertEquals(csvCell("\t=x"), "'\t=x");
  assertEquals(csvCell('=HYPERLINK("http://evil","x")'), `"'=HYPERLINK(""http://evil"",""x"")"`);
  assertEquals(csvCell("--pivot"), "'--pivot");
  assertEquals(csvCell("a=b"), "a=b", "only a leading character triggers");
});

Deno.test("csv: documents end every line with CRLF", () => {
  assertEquals(csvDocument(["a", "b"], [["1", "x,y"], ["=2", ""]]), 'a,b\r\n1,"x,y"\r\n\'=2,\r\n');
});
