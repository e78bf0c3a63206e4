/**
 * Typed reading of SQLite rows: a store declares the columns it selects once, and every row is
 * checked against them at run time before the code sees it (a changed schema or a wrong query
 * fails loudly at the row, not later as an `undefined` in a page). No casts.
 *
 * @module
 */

/** A column's type: `text`, `integer` (any number), `real`, each optionally nullable (`?`). */
export type ColumnType = "text" | "integer" | "real" | "text?" | "integer?" | "real?";

/** The columns of a row, by name. */
export type RowShape = Readonly<Record<string, ColumnType>>;

/** The TypeScript type of one column. */
type ValueOf<T extends ColumnType> = T extends "text" ? string
  : T extends "integer" | "real" ? number
  : T extends "text?" ? string | null
  : number | null;

/** The row type a {@link RowShape} describes. */
export type RowOf<S extends RowShape> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** Reads rows of one shape; {@link RowReader.one} and {@link RowReader.all} check every row. */
export interface RowReader<S extends RowShape> {
  /** The row, checked; `undefined` stays `undefined` (no row). */
  one(row: unknown): RowOf<S> | undefined;
  /** Every row, checked. */
  all(rows: readonly unknown[]): RowOf<S>[];
  /** The row, checked; throws for a missing one. */
  check(row: unknown): RowOf<S>;
}

/** A reader for rows of `shape`; `what` names them in errors (`users row`). */
export function rowReader<S extends RowShape>(what: string, shape: S): RowReader<S> {
  const columns = Object.entries(shape);
  const check = (row: unknown): RowOf<S> => {
    if (typeof row !== "object" || row === null) throw new TypeError(`${what}: not a row`);
    const out: Record<string, unknown> = {};
    for (const [name, type] of columns) {
      const value: unknown = Reflect.get(row, name);
      if (!fits(value, type)) {
        throw new TypeError(
          `${what}: column ${name} is ${value === null ? "null" : typeof value}, not ${type}`,
        );
      }
      out[name] = value;
    }
    return out as RowOf<S>;
  };
  return {
    one: (row) => row === undefined ? undefined : check(row),
    all: (rows) => rows.map(check),
    check,
  };
}

function fits(value: unknown, type: ColumnType): boolean {
  if (value === null) return type.endsWith("?");
  switch (type.replace("?", "")) {
    case "text":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    default:
      return typeof value === "number";
  }
}

/** `SELECT COUNT(*) AS n ...` rows. */
export const countRow: RowReader<{ n: "integer" }> = rowReader("count", { n: "integer" });

/** The row type a reader returns: `type UserRow = ReadRow<typeof userRow>`. */
export type ReadRow<R> = R extends RowReader<infer S> ? RowOf<S> : never;
