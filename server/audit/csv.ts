/**
 * CSV writing per RFC 4180, with spreadsheet formula injection neutralised: a VM name or message
 * like `=HYPERLINK(...)` must open as text, not run.
 *
 * @module
 */

/** Characters that make spreadsheet programs treat a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: formula starters get a leading `'`; quoted when it holds `"`, `,`, CR or LF. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const neutral = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(neutral) ? `"${neutral.replaceAll('"', '""')}"` : neutral;
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
