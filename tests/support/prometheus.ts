/**
 * A real Prometheus text-format parser from npm (`parse-prometheus-text-format`, tests only),
 * typed, plus look-ups the metrics tests share. The parser throws on a line the format does not
 * allow, and unescapes label values, so a round trip proves the writer's escaping.
 *
 * @module
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** One parsed series (counter/gauge: value; histogram: buckets, sum and count). */
export interface ParsedMetric {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  sum?: string;
  count?: string;
}

/** One parsed family. */
export interface ParsedFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: ParsedMetric[];
}

/** Parses exposition text; throws on an invalid line. */
export function parseExposition(text: string): ParsedFamily[] {
  return (parsePrometheusTextFormat as (text: string) => ParsedFamily[])(text);
}

/** The family called `name`; throws when absent. */
export function family(families: ParsedFamily[], name: string): ParsedFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric family ${name} in ${families.map((f) => f.name)}`);
  return found;
}

/** The value of the series of `name` whose labels include `labels`, or undefined. */
export function valueOf(
  families: ParsedFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const series = family(families, name).metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)
  );
  return series?.value === undefined ? undefined : Number(series.value);
}
