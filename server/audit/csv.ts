/**
 * CSV writing per RFC 4180, with spreadsheet formula injection neutralised: a VM name or message
 * like `=HYPERLINK(...)` must open as text, not run.
 *
 * @module
 */

/**
 * A cell spreadsheet programs would read as a formula: it starts with `=`, `+`, `-`, `@`, tab or
 * CR, possibly after whitespace (Excel and LibreOffice skip leading blanks before evaluating).
 */
const FORMULA_START = /^\s*[=+\-@\t\r]/;

/**
 * Characters that make a cell need quotes: RFC 4180's `"`, `,`, CR, LF, plus `;` (the separator
 * in locales whose decimal mark is a comma) and tab (the separator when pasted or read as TSV).
 */
const NEEDS_QUOTES = /[",;\t\r\n]/;

/**
 * One cell: formula starters get a leading `'`; quoted when it holds `"`, `,`, `;`, tab, CR or LF.
 * Numbers are written as they are: only our own ids and counts are numbers.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const neutral = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(neutral) ? `"${neutral.replaceAll('"', '""')}"` : neutral;
}

/** One record, without the line break. */
export function csvRow(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvCell).join(",");
}

/** A whole document: header plus rows, each line ending in CRLF as RFC 4180 says. */
export function csvDocument(
  header: readonly string[],
  rows: Iterable<readonly (string | number | null | undefined)[]>,
): string {
  const lines = [csvRow(header)];
  for (const row of rows) lines.push(csvRow(row));
  return lines.join("\r\n") + "\r\n";
}
