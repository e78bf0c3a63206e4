/**
 * Gauge families built from what is in memory at scrape time: one family per definition with a
 * sample per item (jobs, migrations, moves), or one family from label sets and values. Pure.
 *
 * @module
 */
import type { Labels, MetricFamily } from "./exposition.ts";

/** One per-item gauge: its name, help and value (null: not known, no sample). */
export interface GaugeDefinition<T> {
  name: string;
  help: string;
  value: (item: T) => number | null;
}

/** A family per definition, each with a sample per item whose value is known. Pure. */
export function itemGauges<T>(
  definitions: readonly GaugeDefinition<T>[],
  items: readonly T[],
  labelsOf: (item: T) => Labels,
): MetricFamily[] {
  return definitions.map((g) => ({
    name: g.name,
    help: g.help,
    type: "gauge",
    samples: items.flatMap((item) => {
      const value = g.value(item);
      return value === null ? [] : [{ name: g.name, labels: labelsOf(item), value }];
    }),
  }));
}

/** One gauge family with a sample per `[labels, value]`. Pure. */
export function gaugeFamily(
  name: string,
  help: string,
  values: readonly (readonly [Labels, number])[],
): MetricFamily {
  return {
    name,
    help,
    type: "gauge",
    samples: values.map(([labels, value]) => ({ name, labels, value })),
  };
}
